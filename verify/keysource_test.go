package verify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/edgeauth/edgeauth/verify"
)

// keyOf returns k as a verify.Key.
func keyOf(k *testKey) verify.Key {
	return verify.Key{Algorithm: string(k.alg), Public: k.priv.Public()}
}

// TestStaticKeys: a Verifier with a key source verifies without any HTTP
// (its issuer does not exist), and a kid the source lacks is ErrUnknownKey.
func TestStaticKeys(t *testing.T) {
	const iss = "https://auth.invalid/t/acme"
	es, ed, rs := sharedKeys(t)
	clk := newClock()
	v, err := verify.New(iss, verify.Options{
		Audience: testAudience,
		Keys:     verify.StaticKeys{es.kid: keyOf(es), ed.kid: keyOf(ed), rs.kid: keyOf(rs)},
		Now:      clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	good := claims(&keyServer{issuer: iss}, clk.Now())
	for _, k := range []*testKey{es, ed, rs} {
		c, err := v.Verify(t.Context(), tok{key: k, claims: good}.mint(t))
		if err != nil {
			t.Fatalf("Verify(%s token) = %v", k.alg, err)
		}
		if c.Subject != "user-1" || c.Issuer != iss {
			t.Errorf("Verify(%s token) claims = %+v", k.alg, c)
		}
	}
	_, err = v.Verify(t.Context(), tok{key: esKey2, claims: good}.mint(t))
	checkErr(t, "Verify(kid not in StaticKeys)", err, verify.ErrUnknownKey)
	_, err = v.Verify(t.Context(), tok{key: esKey2, kid: es.kid, claims: good}.mint(t))
	checkErr(t, "Verify(other key under a static kid)", err, verify.ErrSignature)
}

// sourceFunc is a KeySource made of a function.
type sourceFunc func(ctx context.Context, kid string) (verify.Key, error)

func (f sourceFunc) Key(ctx context.Context, kid string) (verify.Key, error) { return f(ctx, kid) }

type ctxKey struct{}

// TestKeySource: what Verify makes of a key source's answers. Its
// ErrUnknownKey and ErrUnavailable come back as they are; any other error
// is ErrUnavailable; a key Verify cannot use is unknown; a key of another
// algorithm than the token's is ErrAlgorithm. The source gets the
// caller's context and the token's kid.
func TestKeySource(t *testing.T) {
	const iss = "https://auth.invalid/t/acme"
	es, ed, _ := sharedKeys(t)
	p384 := newKey(t, jose.ES384)
	errDown := errors.New("database is down")
	errMissing := fmt.Errorf("%w: not in the store", verify.ErrUnknownKey)
	clk := newClock()
	token := tok{key: es, claims: claims(&keyServer{issuer: iss}, clk.Now())}.mint(t)
	esPub := es.priv.Public().(*ecdsa.PublicKey)
	tests := []struct {
		name string
		key  verify.Key
		err  error
		want error
		is   error // also errors.Is, if set
	}{
		{"the key", keyOf(es), nil, nil, nil},
		{"unknown", verify.Key{}, errMissing, verify.ErrUnknownKey, errMissing},
		{"unavailable", verify.Key{}, fmt.Errorf("%w: %w", verify.ErrUnavailable, errDown), verify.ErrUnavailable, errDown},
		{"other error", verify.Key{}, errDown, verify.ErrUnavailable, errDown},
		{"context ended", verify.Key{}, context.Canceled, verify.ErrUnavailable, context.Canceled},
		{"no public key", verify.Key{Algorithm: "ES256"}, nil, verify.ErrUnknownKey, nil},
		{"key not of its algorithm", verify.Key{Algorithm: "ES384", Public: esPub}, nil, verify.ErrUnknownKey, nil},
		{"algorithm not accepted", keyOf(p384), nil, verify.ErrUnknownKey, nil},
		{"algorithm unknown", verify.Key{Algorithm: "ES257", Public: esPub}, nil, verify.ErrUnknownKey, nil},
		{"ecdsa key without a point", verify.Key{Algorithm: "ES256", Public: &ecdsa.PublicKey{Curve: esPub.Curve}}, nil, verify.ErrUnknownKey, nil},
		{"nil ecdsa key", verify.Key{Algorithm: "ES256", Public: (*ecdsa.PublicKey)(nil)}, nil, verify.ErrUnknownKey, nil},
		{"short ed25519 key", verify.Key{Algorithm: "EdDSA", Public: ed25519.PublicKey{1, 2, 3}}, nil, verify.ErrUnknownKey, nil},
		{"ecdsa value, not pointer", verify.Key{Algorithm: "ES256", Public: *esPub}, nil, verify.ErrUnknownKey, nil},
		{"key of another algorithm", keyOf(ed), nil, verify.ErrAlgorithm, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gotKid string
			var gotCtx any
			src := sourceFunc(func(ctx context.Context, kid string) (verify.Key, error) {
				gotKid, gotCtx = kid, ctx.Value(ctxKey{})
				return tc.key, tc.err
			})
			v, err := verify.New(iss, verify.Options{Audience: testAudience, Keys: src, Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(context.WithValue(t.Context(), ctxKey{}, "caller"), token)
			checkErr(t, "Verify", err, tc.want)
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Verify = %v; want it to wrap %v", err, tc.is)
			}
			if gotKid != es.kid || gotCtx != "caller" {
				t.Errorf("key source got kid %q, context value %v; want %q, %q", gotKid, gotCtx, es.kid, "caller")
			}
		})
	}
}

// TestSharedRemoteKeys: Verifiers of two audiences sharing one RemoteKeys
// share its cache: one discovery, one JWKS fetch.
func TestSharedRemoteKeys(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	clk := newClock()
	rk, err := verify.NewRemoteKeys(ks.issuer, verify.Options{HTTPClient: ks.srv.Client(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, aud := range []string{"https://a.example.com", "https://b.example.com", "https://a.example.com"} {
		v, err := verify.New(ks.issuer, verify.Options{Audience: aud, Keys: rk, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(t.Context(), tok{key: es, claims: with(claims(ks, clk.Now()), "aud", aud)}.mint(t)); err != nil {
			t.Fatalf("Verify(aud %q) = %v", aud, err)
		}
	}
	k, err := rk.Key(t.Context(), es.kid)
	if err != nil || k.Algorithm != "ES256" || !k.Public.(*ecdsa.PublicKey).Equal(es.priv.Public()) {
		t.Errorf("RemoteKeys.Key(%q) = %v, %v; want the ES256 key", es.kid, k, err)
	}
	wantFetches(t, ks, 1)
	if got := ks.mdFetches.Load(); got != 1 {
		t.Errorf("metadata fetches = %d; want 1", got)
	}
}

// TestNewRemoteKeysRefuses: NewRemoteKeys checks the issuer and the
// fetching options as New does for its default key source.
func TestNewRemoteKeysRefuses(t *testing.T) {
	const iss = "https://auth.example.com/t/acme"
	for _, tc := range []struct {
		name   string
		issuer string
		opts   verify.Options
		want   string
	}{
		{"issuer http", "http://auth.example.com/t/acme", verify.Options{}, "loopback"},
		{"issuer query", iss + "?x", verify.Options{}, "query"},
		{"JWKSURI http", iss, verify.Options{JWKSURI: "http://auth.example.com/jwks"}, "JWKSURI"},
		{"alg none", iss, verify.Options{Algorithms: []string{"none"}}, `"none" is refused`},
		{"cooldown above MinCacheTTL", iss, verify.Options{RefreshCooldown: 2 * verify.DefaultMinCacheTTL}, "RefreshCooldown"},
		{"MaxStale too long", iss, verify.Options{MaxStale: 2 * verify.MaxStaleLimit}, "MaxStale"},
	} {
		rk, err := verify.NewRemoteKeys(tc.issuer, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "verify: ") {
			t.Errorf("NewRemoteKeys(%s) = %v, %v; want an error containing %q", tc.name, rk, err, tc.want)
		}
	}
	if _, err := verify.NewRemoteKeys(iss, verify.Options{}); err != nil {
		t.Errorf("NewRemoteKeys(%q, no options) = %v", iss, err)
	}
}
