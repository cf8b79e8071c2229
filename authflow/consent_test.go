package authflow

import (
	"slices"
	"testing"

	"github.com/edgeauth/edgeauth/storage"
)

// TestMergeConsent: a consent remembered across approvals covers no pair
// of scope and resource that no single approval covered.
func TestMergeConsent(t *testing.T) {
	const a, b = "https://a.example/", "https://b.example/"
	for _, tc := range []struct {
		name               string
		oldScope, nowScope string
		oldRes, nowRes     []string
		wantScope          string
		wantRes            []string
	}{
		{"more scopes at the same API", "read", "write", []string{a}, []string{a}, "read write", []string{a}},
		{"the same scopes at another API", "read", "read", []string{a}, []string{b}, "read", []string{a, b}},
		{"the newer covers the older", "read", "read write", []string{a}, []string{a, b}, "read write", []string{a, b}},
		{"the older covers the newer", "read write", "read", []string{a, b}, []string{b}, "read write", []string{a, b}},
		{"other scopes at another API: the newer replaces", "openid", "read", []string{a}, []string{b}, "read", []string{b}},
		{"the default audience is a resource of its own", "openid", "read", []string{""}, []string{a}, "read", []string{a}},
	} {
		scope, res := mergeConsent(storage.Consent{Scope: tc.oldScope, Resources: tc.oldRes}, storage.Consent{Scope: tc.nowScope, Resources: tc.nowRes})
		if scope != tc.wantScope || !slices.Equal(res, tc.wantRes) {
			t.Errorf("%s: mergeConsent = %q %q; want %q %q", tc.name, scope, res, tc.wantScope, tc.wantRes)
		}
	}
}

// TestURIHost: what the consent page names as where the browser goes.
func TestURIHost(t *testing.T) {
	for in, want := range map[string]string{
		"https://app.example.com:8443/cb": "app.example.com",
		"http://127.0.0.1:5000/callback":  "127.0.0.1",
		"com.example.app:/oauth2redirect": "com.example.app:",
		"com.example.app://cb":            "com.example.app:",
		"%zz":                             "",
	} {
		if got := uriHost(in); got != want {
			t.Errorf("uriHost(%q) = %q; want %q", in, got, want)
		}
	}
}
