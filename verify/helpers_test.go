package verify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/edgeauth/edgeauth/verify"
)

const (
	testTenant   = "acme"
	testAudience = "https://api.example.com"
)

// t0 is the fake clock's start: any fixed instant works.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a fake clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testKey is a signing key of the test issuer.
type testKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

func (k *testKey) public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

var keyCount atomic.Int64

// newKey makes a key of alg with a fresh kid.
func newKey(t testing.TB, alg jose.SignatureAlgorithm) *testKey {
	t.Helper()
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.ES512:
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case jose.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("newKey: alg %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &testKey{kid: fmt.Sprintf("%s-%d", alg, keyCount.Add(1)), alg: alg, priv: priv}
}

// Keys generated once: RSA generation is slow.
var (
	keysOnce               sync.Once
	esKey, edKey, rsKey    *testKey
	esKey2, edKey2, rsKey2 *testKey
)

func sharedKeys(t testing.TB) (es, ed, rs *testKey) {
	keysOnce.Do(func() {
		esKey, edKey, rsKey = newKey(t, jose.ES256), newKey(t, jose.EdDSA), newKey(t, jose.RS256)
		esKey2, edKey2, rsKey2 = newKey(t, jose.ES256), newKey(t, jose.EdDSA), newKey(t, jose.RS256)
	})
	return esKey, edKey, rsKey
}

// keyServer is an issuer's metadata and JWKS endpoints, with a key set the
// test switches and counters of the requests made.
type keyServer struct {
	srv    *httptest.Server
	issuer string

	mu           sync.Mutex
	keys         []jose.JSONWebKey
	cacheControl string
	jwksStatus   int       // 0: 200
	mdStatus     int       // 0: 200
	mdIssuer     string    // "" : the issuer
	gate         chan bool // non-nil: JWKS requests wait until it is closed

	jwksFetches atomic.Int64
	mdFetches   atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	entered     chan struct{} // gets a value when a gated request arrives
}

func newKeyServer(t testing.TB, keys ...*testKey) *keyServer {
	ks := &keyServer{cacheControl: "public, max-age=300", entered: make(chan struct{}, 1)}
	for _, k := range keys {
		ks.keys = append(ks.keys, k.public())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server/t/"+testTenant, ks.serveMetadata)
	mux.HandleFunc("GET /t/"+testTenant+"/jwks.json", ks.serveJWKS)
	ks.srv = httptest.NewServer(mux)
	ks.issuer = ks.srv.URL + "/t/" + testTenant
	t.Cleanup(ks.srv.Close)
	return ks
}

func (ks *keyServer) serveMetadata(w http.ResponseWriter, r *http.Request) {
	ks.mdFetches.Add(1)
	ks.mu.Lock()
	status, iss := ks.mdStatus, ks.mdIssuer
	ks.mu.Unlock()
	if status != 0 {
		http.Error(w, "down", status)
		return
	}
	if iss == "" {
		iss = ks.issuer
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"issuer":                 iss,
		"jwks_uri":               ks.issuer + "/jwks.json",
		"token_endpoint":         ks.issuer + "/token",
		"authorization_endpoint": ks.issuer + "/authorize",
	})
}

func (ks *keyServer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	ks.jwksFetches.Add(1)
	n := ks.inFlight.Add(1)
	defer ks.inFlight.Add(-1)
	for {
		m := ks.maxInFlight.Load()
		if n <= m || ks.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	ks.mu.Lock()
	gate := ks.gate
	ks.mu.Unlock()
	if gate != nil {
		select {
		case ks.entered <- struct{}{}:
		default:
		}
		<-gate
	}
	ks.mu.Lock()
	set := jose.JSONWebKeySet{Keys: ks.keys}
	status, cc := ks.jwksStatus, ks.cacheControl
	ks.mu.Unlock()
	if status != 0 {
		http.Error(w, "down", status)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", cc)
	json.NewEncoder(w).Encode(set)
}

// setKeys replaces the published key set.
func (ks *keyServer) setKeys(keys ...*testKey) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.keys = nil
	for _, k := range keys {
		ks.keys = append(ks.keys, k.public())
	}
}

func (ks *keyServer) set(f func(ks *keyServer)) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	f(ks)
}

// newVerifier makes a Verifier of ks's issuer on clk, with testAudience
// unless opts names another.
func newVerifier(t testing.TB, ks *keyServer, clk *clock, opts verify.Options) *verify.Verifier {
	t.Helper()
	if opts.Audience == "" {
		opts.Audience = testAudience
	}
	opts.HTTPClient = ks.srv.Client()
	opts.Now = clk.Now
	v, err := verify.New(ks.issuer, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// claims returns the claims edgeauth puts in a user's access token issued
// at now for an hour.
func claims(ks *keyServer, now time.Time) map[string]any {
	return map[string]any{
		"iss":       ks.issuer,
		"sub":       "user-1",
		"aud":       testAudience,
		"exp":       now.Add(time.Hour).Unix(),
		"iat":       now.Unix(),
		"jti":       "jti-1",
		"client_id": "client-1",
		"scope":     "orders:read profile",
		"tenant":    testTenant,
		"roles":     []string{"admin"},
		"auth_time": now.Add(-time.Minute).Unix(),
	}
}

// with returns a copy of c with k set to v, or deleted if v is nil.
func with(c map[string]any, k string, v any) map[string]any {
	c = maps.Clone(c)
	if v == nil {
		delete(c, k)
	} else {
		c[k] = v
	}
	return c
}

// tok describes a token to mint: by default signed by key with its alg,
// typ at+jwt and its kid.
type tok struct {
	key    *testKey
	alg    jose.SignatureAlgorithm // "": key.alg
	typ    string                  // "": at+jwt; "-": no typ
	kid    string                  // "": key.kid; "-": no kid
	claims any
	extra  map[jose.HeaderKey]any
}

func (s tok) mint(t testing.TB) string {
	t.Helper()
	alg := s.alg
	if alg == "" {
		alg = s.key.alg
	}
	o := &jose.SignerOptions{}
	switch s.typ {
	case "":
		o.WithType("at+jwt")
	case "-":
	default:
		o.WithType(jose.ContentType(s.typ))
	}
	switch s.kid {
	case "":
		o.WithHeader("kid", s.key.kid)
	case "-":
	default:
		o.WithHeader("kid", s.kid)
	}
	for k, v := range s.extra {
		o.WithHeader(k, v)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: s.key.priv}, o)
	if err != nil {
		t.Fatal(err)
	}
	payload, ok := s.claims.([]byte)
	if !ok {
		if payload, err = json.Marshal(s.claims); err != nil {
			t.Fatal(err)
		}
	}
	obj, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := s.key.priv.(*ecdsa.PrivateKey); ok {
		// go-jose, like crypto/ecdsa, returns the high form of s about
		// half of the time; edgeauth's signer and Verify use the low one.
		if highS(t, out, k.Curve) {
			out = flipS(t, out, k.Curve)
		}
	}
	return out
}

// ecdsaSig returns the r and s of a compact JWS's ECDSA signature on curve.
func ecdsaSig(t testing.TB, token string, curve elliptic.Curve) (r, s *big.Int) {
	t.Helper()
	sig, err := base64.RawURLEncoding.DecodeString(token[strings.LastIndexByte(token, '.')+1:])
	size := (curve.Params().BitSize + 7) / 8
	if err != nil || len(sig) != 2*size {
		t.Fatalf("token %q: ECDSA signature of %d bytes, %v", token, len(sig), err)
	}
	return new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
}

// highS reports whether the ECDSA signature of token has s above n/2.
func highS(t testing.TB, token string, curve elliptic.Curve) bool {
	_, s := ecdsaSig(t, token, curve)
	return s.Cmp(new(big.Int).Rsh(curve.Params().N, 1)) > 0
}

// flipS returns token with the other form of its ECDSA signature:
// (r, n-s), a second encoding of the same signature.
func flipS(t testing.TB, token string, curve elliptic.Curve) string {
	t.Helper()
	r, s := ecdsaSig(t, token, curve)
	size := (curve.Params().BitSize + 7) / 8
	sig := make([]byte, 2*size)
	r.FillBytes(sig[:size])
	new(big.Int).Sub(curve.Params().N, s).FillBytes(sig[size:])
	return token[:strings.LastIndexByte(token, '.')+1] + base64.RawURLEncoding.EncodeToString(sig)
}
