//go:build !js

package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	targets := map[string]target{
		"metadata":  {text: "m", minRatio: 0.95},
		"refresh":   {text: "r", minVs: 1.5, minOps: 390},
		"api_call":  {text: "a", minVs: 1.0},
		"code_flow": {text: "c", minOps: 124.5},
	}
	results := []result{
		{Name: "metadata", OpsPerSec: 950, Ratio: 0.96},
		{Name: "refresh", OpsPerSec: 400, Vs: "peer_refresh"},
		{Name: "peer_refresh", OpsPerSec: 200},
		{Name: "api_call", OpsPerSec: 500, Vs: "peer_api_call"}, // peer not measured
		{Name: "code_flow", OpsPerSec: 130, Errors: 1, Vs: "pbkdf2_floor"},
		{Name: "pbkdf2_floor", OpsPerSec: 260},
		{Name: "peer_api_call", Failed: "did not start"},
	}
	judge(results, targets)
	want := map[string]struct {
		vs  float64
		met *bool
	}{
		"metadata":  {0, boolp(true)},
		"refresh":   {2, boolp(true)},
		"api_call":  {0, nil},            // its comparison failed: not judged
		"code_flow": {0.5, boolp(false)}, // an error: not met
	}
	for _, r := range results {
		w, ok := want[r.Name]
		if !ok {
			continue
		}
		if r.VsRatio != w.vs || metStr(r.Met) != metStr(w.met) || r.Target != targets[r.Name].text {
			t.Errorf("judge: %s: VsRatio %v, met %q, target %q; want %v, %q, %q", r.Name, r.VsRatio, metStr(r.Met), r.Target, w.vs, metStr(w.met), targets[r.Name].text)
		}
	}
	// 390/s is a bound of its own: 1.5x the peer is not enough without it.
	slow := []result{{Name: "refresh", OpsPerSec: 300, Vs: "peer_refresh"}, {Name: "peer_refresh", OpsPerSec: 100}}
	judge(slow, targets)
	if slow[0].Met == nil || *slow[0].Met {
		t.Errorf("judge: refresh at 300/s, 3x the peer: met %q; want **NO** (under 390/s)", metStr(slow[0].Met))
	}
}

func TestShortTarget(t *testing.T) {
	tests := []struct {
		t    target
		want string
	}{
		{target{minRatio: 0.95}, ">= 0.95x baseline"},
		{target{minVs: 1.5, minOps: 390}, ">= 1.5x peer, >= 390/s"},
		{target{minOps: 124.5}, ">= 124.5/s"},
		{target{}, ""},
	}
	for _, tt := range tests {
		if got := shortTarget(tt.t); got != tt.want {
			t.Errorf("shortTarget(%+v) = %q; want %q", tt.t, got, tt.want)
		}
	}
}

func TestSummarizeCPU(t *testing.T) {
	segs := []segment{
		{ops: 100, elapsed: time.Second, cpu: 150 * time.Millisecond},
		{ops: 300, elapsed: time.Second, cpu: 250 * time.Millisecond},
	}
	r := summarize("x", "", segs)
	if r.CPUMsPerOp == nil || *r.CPUMsPerOp != 1 || r.OpsPerSec != 200 {
		t.Errorf("summarize: CPU %v ms/op, %v ops/s; want 1 ms/op (400 ms over 400 ops), 200 ops/s", r.CPUMsPerOp, r.OpsPerSec)
	}
	segs[1].cpuErr = errNoCPU
	if r := summarize("x", "", segs); r.CPUMsPerOp != nil || !strings.Contains(r.CPUNote, "not measured") {
		t.Errorf("summarize with a segment not measured: CPU %v, note %q; want nil and a note", r.CPUMsPerOp, r.CPUNote)
	}
	segs[1].cpuErr = errors.New("process 7 is gone")
	if r := summarize("x", "", segs); r.CPUMsPerOp != nil || !strings.Contains(r.CPUNote, "process 7 is gone") {
		t.Errorf("summarize with a failed reading: CPU %v, note %q; want nil and the error", r.CPUMsPerOp, r.CPUNote)
	}
}
