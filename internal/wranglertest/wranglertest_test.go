//go:build !js

package wranglertest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/internal/wranglertest"
	"github.com/google/go-cmp/cmp"
)

func TestStart(t *testing.T) {
	if os.Getenv("EDGEAUTH_WORKERD") != "1" {
		t.Skip("set EDGEAUTH_WORKERD=1 to start wrangler dev (make test does)")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	config, err := filepath.Abs("testdata/wrangler.toml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w, err := wranglertest.Start(ctx, wranglertest.Options{
		Dir:       root,
		Config:    config,
		PersistTo: t.TempDir(),
		Vars:      map[string]string{"GREETING": "hello"},
		ReadyPath: "/probe",
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer w.Close()

	resp, err := http.Get(w.URL + "/probe")
	if err != nil {
		t.Fatalf("GET /probe: %v\n%s", err, w.Output())
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatalf("decode /probe: %v\n%s", err, w.Output())
	}
	want := map[string]any{"greeting": "hello", "migrated": "yes"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /probe mismatch (-want +got):\n%s\nwrangler output:\n%s", diff, w.Output())
	}

	if err := w.Close(); err != nil {
		t.Errorf("Close() = %v; want nil", err)
	}
	if _, err := http.Get(w.URL + "/probe"); err == nil {
		t.Errorf("GET /probe after Close succeeded; want connection error")
	}
}
