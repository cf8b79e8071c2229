package verify_test

import (
	"context"
	"fmt"
	"testing"

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
