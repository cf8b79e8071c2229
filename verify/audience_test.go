package verify_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/verify"
)

// TestAudienceForms: aud and Options.Audience name the same resource up to
// the form of its URL (the MCP TypeScript SDK sends new URL(resource).href,
// so "https://api.example.com" comes back as "https://api.example.com/"),
// and in nothing else.
func TestAudienceForms(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	clk := newClock()
	tests := []struct {
		audience string
		aud      any
		want     error
	}{
		{"https://api.example.com", "https://api.example.com/", nil},
		{"https://API.example.com", "https://api.example.com/", nil},
		{"https://api.example.com/", "https://api.example.com", nil},
		{"https://api.example.com", "HTTPS://API.EXAMPLE.COM:443", nil},
		{"https://api.example.com", []string{"https://other.example.com", "https://api.example.com/"}, nil},
		{"https://api.example.com/mcp", "https://Api.Example.com/mcp", nil},
		{"https://api.example.com/mcp", "https://api.example.com:443/mcp", nil},
		{"urn:example:api", "urn:example:api", nil},

		{"https://api.example.com", "https://api.example.com/other", verify.ErrAudience},
		{"https://api.example.com", []string{"https://api.example.com/other", "https://other.example.com/"}, verify.ErrAudience},
		{"https://api.example.com/mcp", "https://api.example.com/MCP", verify.ErrAudience},
		{"https://api.example.com/mcp", "https://api.example.com/mcp/", verify.ErrAudience},
		{"https://api.example.com/mcp", "https://api.example.com/mcp?x=1", verify.ErrAudience},
		{"https://api.example.com", "http://api.example.com/", verify.ErrAudience},
		{"https://api.example.com", "https://api.example.com:8443/", verify.ErrAudience},
		{"https://api.example.com/a", "https://api.example.com/x/../a", verify.ErrAudience},
		{"https://api.example.com/~a", "https://api.example.com/%7Ea", verify.ErrAudience},
		{"urn:example:api", "URN:example:api", verify.ErrAudience},
	}
	for _, tc := range tests {
		v := newVerifier(t, ks, clk, verify.Options{Audience: tc.audience})
		token := tok{key: es, claims: with(claims(ks, clk.Now()), "aud", tc.aud)}.mint(t)
		c, err := v.Verify(context.Background(), token)
		checkErr(t, fmt.Sprintf("Verify(aud %q) for Audience %q", tc.aud, tc.audience), err, tc.want)
		if err == nil && len(c.Audience) == 0 {
			t.Errorf("aud %v: claims have no audience", tc.aud)
		}
	}
}

// TestSkipAudienceCheck: Audience is required unless SkipAudienceCheck
// says the caller checks aud itself; the two exclude each other; skipping
// turns off the aud check and nothing else; Middleware refuses such a
// Verifier.
func TestSkipAudienceCheck(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	clk := newClock()
	for _, tc := range []struct {
		name string
		opts verify.Options
		want string
	}{
		{"no Audience, no skip", verify.Options{}, "Audience is required"},
		{"no Audience, skip false", verify.Options{SkipAudienceCheck: false, Keys: verify.StaticKeys{}}, "Audience is required"},
		{"Audience and skip", verify.Options{Audience: testAudience, SkipAudienceCheck: true}, "exclude each other"},
	} {
		v, err := verify.New(ks.issuer, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%s) = %v, %v; want an error containing %q", tc.name, v, err, tc.want)
		}
	}

	v, err := verify.New(ks.issuer, verify.Options{SkipAudienceCheck: true, HTTPClient: ks.srv.Client(), Now: clk.Now})
	if err != nil {
		t.Fatalf("New(SkipAudienceCheck) = %v", err)
	}
	good := claims(ks, clk.Now())
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   error
	}{
		{"aud of another resource", with(good, "aud", "https://other.example.com"), nil},
		{"aud array", with(good, "aud", []string{"https://a.example", "https://b.example"}), nil},
		{"no aud", with(good, "aud", nil), nil},
		{"wrong iss", with(with(good, "aud", "https://other.example.com"), "iss", "https://evil.example"), verify.ErrIssuer},
		{"expired", with(good, "exp", clk.Now().Add(-time.Hour).Unix()), verify.ErrExpired},
	} {
		_, err := v.Verify(t.Context(), tok{key: es, claims: tc.claims}.mint(t))
		checkErr(t, "Verify("+tc.name+") with SkipAudienceCheck", err, tc.want)
	}
	_, err = v.Verify(t.Context(), tok{key: esKey2, kid: es.kid, claims: good}.mint(t))
	checkErr(t, "Verify(bad signature) with SkipAudienceCheck", err, verify.ErrSignature)

	defer func() {
		if recover() == nil {
			t.Error("Middleware of a Verifier with SkipAudienceCheck did not panic")
		}
	}()
	v.Middleware(http.NotFoundHandler())
}
