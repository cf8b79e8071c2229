//go:build !js

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/edgeauth/edgeauth/ratelimit"
)

func TestParseWorkerConfig(t *testing.T) {
	toml := `name = "edgeauth"
main = "build/worker/worker.mjs"
compatibility_date = "2026-04-01"

[[ratelimits]]
name = "LIMIT_LOGIN_IP"
namespace_id = "1001"
simple = { limit = 60, period = 60 }

[[ratelimits]]
name = "LIMIT_TOKEN"
namespace_id = "1003"
simple = { limit = 6000, period = 60 }
`
	c, err := parseWorkerConfig(toml)
	if err != nil {
		t.Fatalf("parseWorkerConfig = %v", err)
	}
	if c.compatibilityDate != "2026-04-01" || !slices.Equal(c.rateLimits, []string{"LIMIT_LOGIN_IP", "LIMIT_TOKEN"}) {
		t.Errorf("parseWorkerConfig = %+v; want 2026-04-01 and [LIMIT_LOGIN_IP LIMIT_TOKEN]", c)
	}
}

func TestParseWorkerConfigErrors(t *testing.T) {
	tests := []struct{ name, toml, wantErr string }{
		{"no date", "name = \"x\"\n", "no compatibility_date"},
		{"rate limit without its name first", "compatibility_date = \"2026-04-01\"\n[[ratelimits]]\nnamespace_id = \"1\"\nname = \"X\"\n", "1 [[ratelimits]] tables, 0 with a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := parseWorkerConfig(tt.toml); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseWorkerConfig(%q) = %+v, %v; want an error containing %q", tt.toml, c, err, tt.wantErr)
			}
		})
	}
}

// The project's own configs parse: the bench serves them through Miniflare.
func TestParseProjectWorkerConfigs(t *testing.T) {
	for _, path := range []string{"../wrangler.toml", "../examples/resource-worker/wrangler.toml"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c, err := parseWorkerConfig(string(b))
		if err != nil {
			t.Errorf("parseWorkerConfig(%s) = %v", path, err)
			continue
		}
		if filepath.Base(filepath.Dir(path)) == ".." && len(c.rateLimits) != len(ratelimit.DefaultRates) {
			t.Errorf("parseWorkerConfig(%s): rate limits %v; want one per rule of ratelimit.DefaultRates", path, c.rateLimits)
		}
	}
}
