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

func f64(f float64) *float64 { return &f }

func TestReadmeTable(t *testing.T) {
	r := &report{
		Started: time.Date(2026, 12, 3, 17, 57, 25, 0, time.UTC), Commit: "e629841", GoVersion: "go1.26.8", CPUs: 2, Concurrency: 8,
		Machine:  "AMD EPYC, 2 cores (linux/amd64)",
		Versions: map[string]string{"node": "v20.20.2", "wrangler": "4.86.0", "miniflare": "4.20260426.0", "peer": "1.2.3"},
		Wasm:     &wasmInfo{RawBytes: 9_671_042, GzipBytes: 2_588_000},
		Runs: []*runReport{
			{
				Runtime: runtimeMiniflare, Label: "proxy-free", FirstRequestMs: 84.4,
				Baseline: &result{Name: "baseline", OpsPerSec: 1600.04, P50Ms: 4.26, P99Ms: 19.8, CPUMsPerOp: f64(0.912)},
				Scenarios: []result{
					{Name: "metadata", OpsPerSec: 1550.71, Ratio: 0.9612, Vs: "peer_metadata", VsRatio: 1.1, P50Ms: 4.5, P99Ms: 20.89, CPUMsPerOp: f64(1.04), Met: boolp(true)},
					{Name: "peer_metadata", OpsPerSec: 1409.7, Ratio: 0.88, P50Ms: 5, P99Ms: 22, CPUMsPerOp: f64(1.1)},
					{Name: "refresh", OpsPerSec: 300.5, Ratio: 0.19, Vs: "peer_refresh", VsRatio: 1.62, P50Ms: 20.36, P99Ms: 87.65, Errors: 2, CPUMsPerOp: f64(5.123), Met: boolp(false)},
					{Name: "code_flow", OpsPerSec: 20, Ratio: 0.01, Vs: "pbkdf2_floor", VsRatio: 0.5, P50Ms: 300, P99Ms: 500, CPUMsPerOp: f64(60)},
					{Name: "api_call", Failed: "examples/resource-worker did not start"},
				},
			},
			{
				Runtime: runtimeWrangler, Label: "stock wrangler dev", FirstRequestMs: 116,
				Baseline: &result{Name: "baseline", OpsPerSec: 787.04, CPUMsPerOp: f64(2.5)},
				Scenarios: []result{
					{Name: "metadata", OpsPerSec: 674.71, CPUMsPerOp: f64(2.7)},
					{Name: "refresh", OpsPerSec: 120.5},
				},
			},
		},
	}
	want := "`make bench` on 2026-12-03 at e629841, on AMD EPYC, 2 cores (linux/amd64) (go1.26.8, Node 20.20.2, wrangler 4.86.0, Miniflare 4.20260426.0, workers-oauth-provider 1.2.3), 8 concurrent clients. " +
		"The figures are of the proxy-free run: every Worker served through Miniflare's API, without the inspector proxy of `wrangler dev`; the last column is the same scenario in the stock wrangler dev run. " +
		"Each scenario alternates with a trivial Worker, the baseline; a ratio is to the baseline next to it, or to the peer (workers-oauth-provider) or a floor measured in the same run. " +
		"[What each figure is](bench/README.md).\n\n" +
		"| scenario | ops/s | CPU ms/op | p50 / p99 ms | ratio | target | stock wrangler dev ops/s (CPU ms/op) |\n" +
		"|---|---:|---:|---:|---|---|---:|\n" +
		"| baseline | 1600.0 | 0.91 | 4.3 / 19.8 | 1.00 |  | 787.0 (2.50) |\n" +
		"| metadata | 1550.7 | 1.04 | 4.5 / 20.9 | 0.96x baseline, 1.10x peer | >= 0.95x baseline: yes | 674.7 (2.70) |\n" +
		"| peer_metadata | 1409.7 | 1.10 | 5.0 / 22.0 | 0.88x baseline |  | - |\n" +
		"| refresh (2 errors) | 300.5 | 5.12 | 20.4 / 87.7 | 1.62x peer | >= 1.5x peer, >= 390/s: **no** | 120.5 (-) |\n" +
		"| code_flow | 20.0 | 60.00 | 300.0 / 500.0 | 0.50x PBKDF2 floor | >= 124.5/s: not judged | - |\n" +
		"| api_call | failed | | | | >= 1x peer: not judged | - |\n" +
		"\nFirst request after start (the first Go instance; target < 100 ms): 84 ms proxy-free, 116 ms stock wrangler dev. Wasm 9.67 MB, 2.59 MB gzip.\n"
	if got := r.readmeTable(); got != want {
		t.Errorf("readmeTable() =\n%s\nwant\n%s", got, want)
	}
}

// A native run has one runtime: no stock column, no target met or missed
// where the comparison was not measured.
func TestReadmeTableOneRun(t *testing.T) {
	r := &report{
		Started: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), GoVersion: "go1.26.8", CPUs: 2, Concurrency: 8,
		Runs: []*runReport{{Runtime: "native", Label: "native",
			Baseline:  &result{Name: "baseline", OpsPerSec: 10000},
			Scenarios: []result{{Name: "jwks", OpsPerSec: 9000, Ratio: 0.9, Met: boolp(false)}},
		}},
	}
	got := r.readmeTable()
	for _, want := range []string{
		"on 2 CPU cores (go1.26.8), 8 concurrent clients. The figures are of the native run. Each",
		"| scenario | ops/s | CPU ms/op | p50 / p99 ms | ratio | target |\n|---|---:|---:|---:|---|---|\n",
		"| baseline | 10000.0 | - | 0.0 / 0.0 | 1.00 |  |\n",
		"| jwks | 9000.0 | - | 0.0 / 0.0 | 0.90x baseline | >= 0.95x baseline: **no** |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("readmeTable() =\n%s\nwant it to contain\n%s", got, want)
		}
	}
	if strings.Contains(got, "First request") {
		t.Errorf("readmeTable() names a first request the run did not time:\n%s", got)
	}
}
