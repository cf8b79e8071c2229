//go:build !js

package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name, line string
		want       procStat
	}{
		{
			name: "node",
			line: "4242 (node) S 4200 4200 18014 0 -1 4194560 9071 0 0 0 512 37 3 4 20 0 11 0 268104 1130434560 16064 18446744073709551615",
			want: procStat{pid: 4242, ppid: 4200, ticks: 512 + 37 + 3 + 4},
		},
		{
			name: "comm with spaces and parentheses",
			line: "77 (work (er) d) R 1 77 77 0 -1 0 0 0 0 0 10 20 30 40 20 0 1 0 5 6 7",
			want: procStat{pid: 77, ppid: 1, ticks: 100},
		},
		{
			name: "what /proc/self/stat gives",
			line: "3842 (cat) R 3836 3836 18014 0 -1 4194304 97 0 0 0 0 0 0 0 20 0 1 0 268104 3133440 361 18446744073709551615 0",
			want: procStat{pid: 3842, ppid: 3836},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat(tt.line)
			if err != nil || got != tt.want {
				t.Errorf("parseStat(%q) = %+v, %v; want %+v, nil", tt.line, got, err, tt.want)
			}
		})
	}
}

func TestParseStatErrors(t *testing.T) {
	tests := []struct{ name, line, wantErr string }{
		{"no comm", "42 node S 1", "no (comm)"},
		{"bad pid", "x (node) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14", "pid"},
		{"short", "42 (node) S 1 2 3", "fields after comm"},
		{"bad ppid", "42 (node) S p 1 2 3 4 5 6 7 8 9 10 11 12 13", "ppid"},
		{"negative stime", "42 (node) S 1 1 2 3 4 5 6 7 8 9 10 -11 12 13 14", "field 15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat(tt.line)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseStat(%q) = %+v, %v; want an error containing %q", tt.line, got, err, tt.wantErr)
			}
		})
	}
}

func TestTreeTicks(t *testing.T) {
	// 10: wrangler's node; 11: its workerd; 12: a second node under it,
	// 13: that one's workerd; 20: an unrelated process with a child 21.
	stats := []procStat{
		{pid: 1, ppid: 0, ticks: 1000},
		{pid: 10, ppid: 1, ticks: 100},
		{pid: 11, ppid: 10, ticks: 20},
		{pid: 12, ppid: 10, ticks: 3},
		{pid: 13, ppid: 12, ticks: 4},
		{pid: 20, ppid: 1, ticks: 500},
		{pid: 21, ppid: 20, ticks: 50},
	}
	tests := []struct {
		root      int
		want      uint64
		wantFound bool
	}{
		{10, 127, true},
		{12, 7, true},
		{13, 4, true},
		{20, 550, true},
		{99, 0, false},
	}
	for _, tt := range tests {
		got, found := treeTicks(stats, tt.root)
		if got != tt.want || found != tt.wantFound {
			t.Errorf("treeTicks(stats, %d) = %d, %v; want %d, %v", tt.root, got, found, tt.want, tt.wantFound)
		}
	}
}

func TestCPUPerOp(t *testing.T) {
	tests := []struct {
		cpu  time.Duration
		ops  int
		want float64
	}{
		{1230 * time.Millisecond, 1000, 1.23},
		{0, 10, 0},
		{5 * time.Second, 0, -1},
	}
	for _, tt := range tests {
		if got := cpuPerOp(tt.cpu, tt.ops); got != tt.want {
			t.Errorf("cpuPerOp(%v, %d) = %v; want %v", tt.cpu, tt.ops, got, tt.want)
		}
	}
}

// treeCPU reads this process's own tree: the bench's test binary uses
// CPU, so two readings around some work differ, and never go back.
func TestTreeCPUOfThisProcess(t *testing.T) {
	read := treeCPU(os.Getpid())
	a, err := read()
	if err != nil {
		t.Fatalf("treeCPU(self)() = %v", err)
	}
	deadline := time.Now().Add(100 * time.Millisecond)
	for n := 0; time.Now().Before(deadline); n++ {
		_ = strings.Repeat("x", n%100)
	}
	b, err := read()
	if err != nil {
		t.Fatalf("treeCPU(self)() = %v", err)
	}
	if b < a {
		t.Errorf("CPU went back from %v to %v", a, b)
	}
	if _, err := treeCPU(-5)(); err == nil {
		t.Errorf("treeCPU(-5)() = nil error; want the process to be gone")
	}
}
