package verify

import (
	"net/http"
	"testing"
	"time"
)

func TestWellKnownURL(t *testing.T) {
	for _, tc := range []struct{ issuer, want string }{
		{"https://auth.example.com/t/acme", "https://auth.example.com/.well-known/oauth-authorization-server/t/acme"},
		{"https://auth.example.com/t/acme/", "https://auth.example.com/.well-known/oauth-authorization-server/t/acme"},
		{"https://auth.example.com", "https://auth.example.com/.well-known/oauth-authorization-server"},
		{"https://auth.example.com/", "https://auth.example.com/.well-known/oauth-authorization-server"},
		{"http://127.0.0.1:8787/t/dev", "http://127.0.0.1:8787/.well-known/oauth-authorization-server/t/dev"},
	} {
		got, err := wellKnownURL(tc.issuer)
		if err != nil || got != tc.want {
			t.Errorf("wellKnownURL(%q) = %q, %v; want %q", tc.issuer, got, err, tc.want)
		}
	}
}

func TestFreshness(t *testing.T) {
	for _, tc := range []struct {
		cc, age string
		want    time.Duration
	}{
		{"public, max-age=300", "", 300 * time.Second},
		{"Public, Max-Age=300", "", 300 * time.Second},
		{`max-age="300"`, "", 300 * time.Second},
		{"max-age=300, max-age=60", "", 60 * time.Second},
		{"max-age=300", "60", 240 * time.Second},
		{"max-age=300", "600", 0},
		{"max-age=300", "x", 0},
		{"max-age=-1", "", 0},
		{"max-age=abc", "", 0},
		{"public", "", 0},
		{"", "", 0},
		{"no-store", "", 0},
		{"max-age=300, no-cache", "", 0},
		{"max-age=99999999999999", "", 365 * 24 * time.Hour},
	} {
		h := http.Header{}
		if tc.cc != "" {
			h.Set("Cache-Control", tc.cc)
		}
		if tc.age != "" {
			h.Set("Age", tc.age)
		}
		if got := freshness(h); got != tc.want {
			t.Errorf("freshness(Cache-Control %q, Age %q) = %v; want %v", tc.cc, tc.age, got, tc.want)
		}
	}
}
