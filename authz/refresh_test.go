package authz

import (
	"strings"
	"testing"

	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
)

func TestRefreshTokens(t *testing.T) {
	k := refreshKey(make([]byte, 32))
	fid := strings.Repeat("f", familyIDLen)
	fam := storage.RefreshFamily{TenantID: "acme", ID: fid, Generation: 2}
	tok := func(gen int64) string { return k.token("acme", fid, gen) }
	fam.TokenHash = secret.Hash(tok(2))
	for _, tc := range []struct {
		name                  string
		raw                   string
		ok                    bool
		current, issued, made bool
	}{
		{"current", tok(2), true, true, true, true},
		{"an earlier generation", tok(0), true, false, true, true},
		{"a later generation", tok(3), true, false, false, true},
		{"another tenant's", k.token("other", fid, 1), true, false, false, false},
		{"another key's", refreshKey(strings.Repeat("k", 32)).token("acme", fid, 1), true, false, false, false},
		{"a made-up mac", fid + ".1-" + strings.Repeat("A", 43), true, false, false, false},
		{"legacy, not current", fid + "." + strings.Repeat("L", 43), true, false, false, false},
		{"family id alone", fid + ".x", false, false, false, false},
		{"leading zero", fid + ".01-" + strings.Repeat("A", 43), false, false, false, false},
		{"negative", fid + ".-1-" + strings.Repeat("A", 43), false, false, false, false},
		{"an access token", "a.b.c", false, false, false, false},
		{"short family id", "abc.1-" + strings.Repeat("A", 43), false, false, false, false},
	} {
		rt, ok := parseRefreshToken(tc.raw)
		if ok != tc.ok {
			t.Errorf("%s: parseRefreshToken(%q) ok = %v; want %v", tc.name, tc.raw, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if got := rt.current(fam); got != tc.current {
			t.Errorf("%s: current = %v; want %v", tc.name, got, tc.current)
		}
		if got := k.issued(rt, fam); got != tc.issued {
			t.Errorf("%s: issued = %v; want %v", tc.name, got, tc.issued)
		}
		if got := k.made(rt, "acme"); got != tc.made {
			t.Errorf("%s: made = %v; want %v", tc.name, got, tc.made)
		}
	}
	legacy := fid + "." + strings.Repeat("L", 43)
	fam.TokenHash = secret.Hash(legacy)
	if rt, _ := parseRefreshToken(legacy); !rt.current(fam) || !k.issued(rt, fam) {
		t.Errorf("a legacy token that is current: current %v issued %v; want both", rt.current(fam), k.issued(rt, fam))
	}
}
