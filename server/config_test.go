package server

import (
	"strings"
	"testing"
)

func TestConfigRequired(t *testing.T) {
	err := Config{BaseURL: "http://example.com"}.Check()
	if err == nil {
		t.Fatal("Check(empty Config) = nil error")
	}
	if _, nerr := New(Config{BaseURL: "http://example.com"}); nerr == nil || nerr.Error() != err.Error() {
		t.Errorf("New(empty Config) = %v; want Check's error", nerr)
	}
	for _, want := range []string{"Store", "KV", "Sealer", "AdminToken", "https"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check(empty Config) error %q does not name %s", err, want)
		}
	}
	for _, base := range []string{"", "ftp://x", "https://x.example/", "https://x.example?q=1", "https://u@x.example", "relative", "https://example.com/auth"} {
		if err := checkBaseURL(base); err == nil {
			t.Errorf("checkBaseURL(%q) = nil; want an error", base)
		}
	}
	for _, base := range []string{"https://auth.example.com", "http://127.0.0.1:8787", "http://localhost:8787"} {
		if err := checkBaseURL(base); err != nil {
			t.Errorf("checkBaseURL(%q) = %v; want nil", base, err)
		}
	}
}
