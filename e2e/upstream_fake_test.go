package e2e

import (
	"testing"

	"github.com/edgeauth/edgeauth/internal/oidctest"
)

// The upstream providers written in the test, on 127.0.0.1: an OpenID
// Provider whose ID tokens a test can spoil, and a GitHub (the shape of
// a GitHub Enterprise Server: /login/oauth/..., /api/v3/...). Both
// approve every authorization request at once, redirecting the browser
// back with a code, or with the error a test asks for.

const (
	fakeUpstreamClient = "edgeauth-downstream"
	fakeUpstreamSecret = "upstream-client-secret-1234567890"
)

// newFakeProvider is an OpenID Provider (internal/oidctest) that knows the
// downstream tenants' client and signs carol in.
func newFakeProvider(t *testing.T) *oidctest.Provider {
	t.Helper()
	p := oidctest.NewProvider(t, fakeUpstreamClient, fakeUpstreamSecret)
	p.Subject, p.Email, p.EmailVerified, p.Name = "corp-carol", "carol@corp.example", true, "Carol Corp"
	return p
}

// newFakeGitHub is a GitHub (internal/oidctest) that knows the downstream
// tenants' client.
func newFakeGitHub(t *testing.T) *oidctest.GitHub {
	t.Helper()
	return oidctest.NewGitHub(t, fakeUpstreamClient, fakeUpstreamSecret)
}
