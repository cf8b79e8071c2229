package verify_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/verify"
)

// fakeIntrospection is an RFC 7662 endpoint that knows which tokens are
// revoked and counts its requests.
type fakeIntrospection struct {
	srv      *httptest.Server
	mu       sync.Mutex
	revoked  map[string]bool
	status   int // 0: 200
	requests atomic.Int64
}

func newFakeIntrospection(t *testing.T) *fakeIntrospection {
	f := &fakeIntrospection{revoked: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		id, secret, ok := r.BasicAuth()
		if !ok || id != "rs" || secret != "s3cret" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.status != 0 {
			http.Error(w, "down", f.status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if f.revoked[r.PostFormValue("token")] || r.PostFormValue("token_type_hint") != "access_token" {
			w.Write([]byte(`{"active":false}`))
			return
		}
		w.Write([]byte(`{"active":true,"sub":"user-1"}`))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// TestOnlineCheck: with Options.Online, a token that passes every offline
// check is refused with ErrRevoked once the issuer says it is inactive,
// within the cache lifetime; an issuer that cannot answer is
// ErrUnavailable (fail closed); a cached answer costs no request and is
// never kept past the token's exp. Without Online nothing is asked.
func TestOnlineCheck(t *testing.T) {
	es, _, _ := sharedKeys(t)
	ks := newKeyServer(t, es)
	clk := newClock()
	fi := newFakeIntrospection(t)
	online, err := verify.NewIntrospection(verify.IntrospectionOptions{Endpoint: fi.srv.URL, ClientID: "rs", ClientSecret: "s3cret",
		CacheTTL: 30 * time.Second, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, ks, clk, verify.Options{Online: online})
	token := tok{key: es, claims: claims(ks, clk.Now())}.mint(t)
	ctx := context.Background()

	if _, err := v.Verify(ctx, token); err != nil {
		t.Fatalf("Verify of an active token = %v; want nil", err)
	}
	if _, err := v.Verify(ctx, token); err != nil || fi.requests.Load() != 1 {
		t.Errorf("a second Verify within the cache lifetime: %v, %d requests; want nil, 1", err, fi.requests.Load())
	}
	fi.mu.Lock()
	fi.revoked[token] = true
	fi.mu.Unlock()
	if _, err := v.Verify(ctx, token); err != nil {
		t.Errorf("Verify of a revoked token within the cached answer's life = %v; want nil (the trade-off)", err)
	}
	clk.Advance(31 * time.Second)
	if _, err := v.Verify(ctx, token); !errors.Is(err, verify.ErrRevoked) {
		t.Errorf("Verify of a revoked token after the cache lifetime = %v; want ErrRevoked", err)
	}

	// An issuer that cannot answer: the token is refused, unavailable.
	fresh := tok{key: es, claims: with(claims(ks, clk.Now()), "jti", "jti-2")}.mint(t)
	fi.mu.Lock()
	fi.status = http.StatusServiceUnavailable
	fi.mu.Unlock()
	if _, err := v.Verify(ctx, fresh); !errors.Is(err, verify.ErrUnavailable) {
		t.Errorf("Verify while introspection fails = %v; want ErrUnavailable", err)
	}
	fi.mu.Lock()
	fi.status = 0
	fi.mu.Unlock()

	// An answer is not kept past the token's exp: a token expiring in 10 s
	// is asked about again after them (with the leeway it still verifies).
	short := tok{key: es, claims: with(with(claims(ks, clk.Now()), "jti", "jti-3"), "exp", clk.Now().Add(10*time.Second).Unix())}.mint(t)
	before := fi.requests.Load()
	v.Verify(ctx, short)
	clk.Advance(11 * time.Second)
	v.Verify(ctx, short)
	if n := fi.requests.Load() - before; n != 2 {
		t.Errorf("a token past its exp was answered from the cache: %d requests; want 2", n)
	}

	// A token that fails offline is never sent to the issuer.
	before = fi.requests.Load()
	if _, err := v.Verify(ctx, tok{key: es, claims: with(claims(ks, clk.Now()), "aud", "https://other.example")}.mint(t)); !errors.Is(err, verify.ErrAudience) {
		t.Errorf("Verify of another audience's token = %v; want ErrAudience", err)
	}
	if fi.requests.Load() != before {
		t.Errorf("a token refused offline was introspected")
	}

	// Middleware answers a revoked token 401 invalid_token.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	v.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("the handler ran for a revoked token") })).ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("Middleware for a revoked token: %d; want 401", rec.Code)
	}
}

func TestNewIntrospectionRefuses(t *testing.T) {
	for name, o := range map[string]verify.IntrospectionOptions{
		"no endpoint":           {ClientID: "rs", ClientSecret: "s"},
		"http to a public host": {Endpoint: "http://auth.example.com/t/acme/introspect", ClientID: "rs", ClientSecret: "s"},
		"no client":             {Endpoint: "https://auth.example.com/t/acme/introspect"},
		"no secret":             {Endpoint: "https://auth.example.com/t/acme/introspect", ClientID: "rs"},
		"cache too long":        {Endpoint: "https://auth.example.com/t/acme/introspect", ClientID: "rs", ClientSecret: "s", CacheTTL: time.Hour},
	} {
		if _, err := verify.NewIntrospection(o); err == nil {
			t.Errorf("NewIntrospection(%s) = nil error; want one", name)
		}
	}
	if _, err := verify.NewIntrospection(verify.IntrospectionOptions{Endpoint: "https://auth.example.com/t/acme/introspect", ClientID: "rs", ClientSecret: "s"}); err != nil {
		t.Errorf("NewIntrospection with every required option = %v", err)
	}
}
