//go:build !js

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReplaceMarked(t *testing.T) {
	const table = "| scenario | ops/s |\n|---|---:|\n| metadata | 1.0 |\n"
	tests := []struct {
		name, doc, want string
	}{
		{
			name: "replaces the old table",
			doc:  "# title\n\ntext before\n" + readmeBegin + "\nold table\nold line\n" + readmeEnd + "\ntext after\n",
			want: "# title\n\ntext before\n" + readmeBegin + "\n" + table + readmeEnd + "\ntext after\n",
		},
		{
			name: "fills an empty space",
			doc:  readmeBegin + "\n" + readmeEnd + "\n",
			want: readmeBegin + "\n" + table + readmeEnd + "\n",
		},
		{
			name: "end marker on the last line without a newline",
			doc:  "a\n" + readmeBegin + "\nold\n" + readmeEnd,
			want: "a\n" + readmeBegin + "\n" + table + readmeEnd,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := replaceMarked(tt.doc, table)
			if err != nil {
				t.Fatalf("replaceMarked(%q) = %v; want no error", tt.doc, err)
			}
			if got != tt.want {
				t.Errorf("replaceMarked(%q) =\n%s\nwant\n%s", tt.doc, got, tt.want)
			}
			// Replacing again changes nothing: the run is repeatable.
			if again, err := replaceMarked(got, table); err != nil || again != got {
				t.Errorf("replaceMarked twice = %q, %v; want %q, nil", again, err, got)
			}
		})
	}
}

// Outside the markers nothing changes, whatever the table and whatever the
// text around it holds.
func TestReplaceMarkedKeepsTheRest(t *testing.T) {
	before := "# edgeauth\n\nSome text with <!-- other comments --> and | pipes |.\n\n## Performance\n\n"
	after := "\nMore text.\n\n## Next\n\ntrailing line without newline"
	doc := before + readmeBegin + "\nold\n" + readmeEnd + after
	for _, content := range []string{"", "one line without newline", "| a |\n|---|\n| 1 |\n"} {
		got, err := replaceMarked(doc, content)
		if err != nil {
			t.Fatalf("replaceMarked(doc, %q) = %v", content, err)
		}
		if !strings.HasPrefix(got, before+readmeBegin+"\n") || !strings.HasSuffix(got, readmeEnd+after) {
			t.Errorf("replaceMarked(doc, %q) changed text outside the markers:\n%s", content, got)
		}
		inside := strings.TrimSuffix(strings.TrimPrefix(got, before+readmeBegin+"\n"), readmeEnd+after)
		if want := strings.TrimSuffix(content, "\n"); strings.TrimSuffix(inside, "\n") != want {
			t.Errorf("replaceMarked(doc, %q): between the markers %q; want %q", content, inside, want)
		}
	}
}

func TestReplaceMarkedErrors(t *testing.T) {
	tests := []struct {
		name, doc, wantErr string
	}{
		{"no markers", "# README\n\nno table here\n", "no " + readmeBegin},
		{"no end marker", readmeBegin + "\nold\n", "no " + readmeEnd},
		{"no begin marker", "old\n" + readmeEnd + "\n", "no " + readmeBegin},
		{"end before begin", readmeEnd + "\nold\n" + readmeBegin + "\n", "comes before"},
		{"begin twice", readmeBegin + "\n" + readmeBegin + "\n" + readmeEnd + "\n", "appears 2 times"},
		{"marker inside a line", "see " + readmeBegin + "\n" + readmeEnd + "\n", "line of its own"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := replaceMarked(tt.doc, "table\n")
			if err == nil {
				t.Fatalf("replaceMarked(%q) = %q, nil; want an error containing %q", tt.doc, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("replaceMarked(%q) error = %q; want it to contain %q", tt.doc, err, tt.wantErr)
			}
		})
	}
}

// A README without markers is an error, and the file is left as it was.
func TestUpdateReadmeWithoutMarkers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	const doc = "# README\n\nno markers\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := updateReadme(path, "table\n"); err == nil || !strings.Contains(err.Error(), readmeBegin) {
		t.Errorf("updateReadme = %v; want an error naming %s", err, readmeBegin)
	}
	if b, _ := os.ReadFile(path); string(b) != doc {
		t.Errorf("updateReadme changed the file to %q; want it unchanged", b)
	}
}

func TestReadmeTable(t *testing.T) {
	r := &report{
		Started: time.Date(2026, 12, 3, 17, 57, 25, 0, time.UTC), Commit: "e629841", GoVersion: "go1.26.8", CPUs: 2, Concurrency: 8,
		Baseline: &result{Name: "baseline", OpsPerSec: 787.04, P50Ms: 8.26, P99Ms: 49.8},
		Scenarios: []result{
			{Name: "metadata", OpsPerSec: 674.71, Ratio: 1.0812, P50Ms: 10.5, P99Ms: 29.89},
			{Name: "refresh", OpsPerSec: 120.5, Ratio: 0.1349, P50Ms: 63.36, P99Ms: 187.65, Errors: 2},
			{Name: "native", OpsPerSec: 10, P50Ms: 1, P99Ms: 2}, // no baseline next to it
		},
	}
	want := "`make bench` on 2026-12-03 at e629841 (go1.26.8, 2 CPUs, 8 concurrent clients). " +
		"Each scenario alternates with a trivial Worker, the baseline, in the same run; the ratio is to the baseline next to it. " +
		"[Method and history](bench/README.md).\n\n" +
		"| scenario | ops/s | ratio to baseline | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|\n" +
		"| baseline | 787.0 | 1.00 | 8.3 | 49.8 |\n" +
		"| metadata | 674.7 | 1.08 | 10.5 | 29.9 |\n" +
		"| refresh (2 errors) | 120.5 | 0.13 | 63.4 | 187.7 |\n" +
		"| native | 10.0 | - | 1.0 | 2.0 |\n"
	if got := r.readmeTable(); got != want {
		t.Errorf("readmeTable() =\n%s\nwant\n%s", got, want)
	}
}
