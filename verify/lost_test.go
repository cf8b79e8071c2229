package verify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// stuckTransport serves a JWKS, except that its call number stuckCall
// blocks until release is closed, ignoring its context the way the Workers
// fetch transport does.
type stuckTransport struct {
	jwks      []byte
	stuckCall int64
	release   chan struct{}
	calls     atomic.Int64
	returned  chan struct{} // closed when the stuck call returns
}

func (s *stuckTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if s.calls.Add(1) == s.stuckCall {
		defer close(s.returned)
		<-s.release
		return nil, errors.New("late")
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK",
		Header: http.Header{"Cache-Control": {"max-age=60"}},
		Body:   io.NopCloser(strings.NewReader(string(s.jwks))), Request: r,
	}, nil
}

// TestLostFetch: a fetch whose transport never returns holds callers for
// at most FetchTimeout (stale keys then still serve), and after that no
// longer blocks the next fetch.
func TestLostFetch(t *testing.T) {
	fetchTimeout = 50 * time.Millisecond
	t.Cleanup(func() { fetchTimeout = FetchTimeout })

	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: priv.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	tr := &stuckTransport{jwks: jwks, stuckCall: 2, release: make(chan struct{}), returned: make(chan struct{})}
	t.Cleanup(func() {
		close(tr.release)
		if tr.calls.Load() >= tr.stuckCall { // else a failure came first: nothing to wait for
			<-tr.returned
		}
	})

	const iss = "https://auth.example.com/t/acme"
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	v, err := New(iss, Options{
		Audience: "api", JWKSURI: iss + "/jwks.json", Now: clock,
		HTTPClient: &http.Client{Transport: tr},
	})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	token := func() string {
		p, _ := json.Marshal(map[string]any{"iss": iss, "aud": "api", "exp": clock().Add(time.Hour).Unix(), "iat": clock().Unix(), "sub": "u", "client_id": "c", "jti": "j"})
		obj, err := sig.Sign(p)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := obj.CompactSerialize()
		return lowS(t, s)
	}

	if _, err := v.Verify(t.Context(), token()); err != nil {
		t.Fatalf("Verify = %v", err)
	}
	advance(time.Minute) // expired: the refetch (call 2) gets stuck
	if _, err := v.Verify(t.Context(), token()); err != nil {
		t.Fatalf("Verify during a stuck fetch = %v; want stale keys to serve", err)
	}
	advance(DefaultRefreshCooldown)
	if _, err := v.Verify(t.Context(), token()); err != nil {
		t.Fatalf("Verify after the stuck fetch = %v", err)
	}
	if got := tr.calls.Load(); got != 3 {
		t.Fatalf("fetches = %d; want 3 (the lost one did not block the next)", got)
	}
	// The new set is fresh: no more fetches.
	advance(30 * time.Second)
	if _, err := v.Verify(t.Context(), token()); err != nil {
		t.Fatal(err)
	}
	if got := tr.calls.Load(); got != 3 {
		t.Fatalf("fetches = %d; want 3", got)
	}
}

// lowS returns an ES256 token with the low form of its signature's s,
// which Verify requires and go-jose writes about half of the time.
func lowS(t *testing.T, token string) string {
	t.Helper()
	dot := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[dot+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("ES256 signature of %d bytes, %v", len(sig), err)
	}
	n := elliptic.P256().Params().N
	if s := new(big.Int).SetBytes(sig[32:]); s.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		s.Sub(n, s).FillBytes(sig[32:])
	}
	return token[:dot+1] + base64.RawURLEncoding.EncodeToString(sig)
}
