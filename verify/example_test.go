package verify_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/edgeauth/edgeauth/verify"
)

// The examples' issuer signs with an Ed25519 key made from a fixed seed,
// on a fixed clock, so that they print the same on every run.
var (
	issuerKey  = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	exampleNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

const issuerKID = "2026-03-key"

// revokedTokens are the tokens the examples' issuer introspects inactive:
// their grant was revoked.
var revokedTokens sync.Map

// startIssuer serves what edgeauth publishes for tenant acme: the RFC 8414
// metadata and the JWKS, and its introspection endpoint for the client
// orders-api. It returns the server and the issuer.
func startIssuer() (*httptest.Server, string) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	issuer := srv.URL + "/t/acme"
	mux.HandleFunc("GET /.well-known/oauth-authorization-server/t/acme", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": issuer, "jwks_uri": issuer + "/jwks.json"})
	})
	mux.HandleFunc("GET /t/acme/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: issuerKey.Public(), KeyID: issuerKID, Algorithm: "EdDSA", Use: "sig"},
		}})
	})
	mux.HandleFunc("POST /t/acme/introspect", func(w http.ResponseWriter, r *http.Request) {
		if id, _, _ := r.BasicAuth(); id != "orders-api" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		_, revoked := revokedTokens.Load(r.PostFormValue("token"))
		json.NewEncoder(w).Encode(map[string]bool{"active": !revoked})
	})
	return srv, issuer
}

// accessToken signs an access token of issuer as edgeauth does (RFC 9068:
// typ at+jwt, kid), for audience aud with scope, issued at exampleNow for
// an hour.
func accessToken(issuer, aud, scope string) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: issuerKey},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", issuerKID))
	if err != nil {
		log.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{
		"iss": issuer, "sub": "user-1", "aud": aud, "client_id": "app", "scope": scope, "tenant": "acme",
		"iat": exampleNow.Unix(), "exp": exampleNow.Add(time.Hour).Unix(), "jti": "t-1",
	})
	jws, err := signer.Sign(payload)
	if err != nil {
		log.Fatal(err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		log.Fatal(err)
	}
	return token
}

// A resource server makes one Verifier of its issuer and audience at
// start, and verifies each request's token with it. The first Verify
// discovers the issuer's JWKS and caches it.
func Example() {
	srv, issuer := startIssuer()
	defer srv.Close()

	v, err := verify.New(issuer, verify.Options{
		Audience:   "https://api.example.com",
		HTTPClient: srv.Client(), // natively nil will do; in a Worker, a fetch-based client
		Now:        func() time.Time { return exampleNow },
	})
	if err != nil {
		log.Fatal(err)
	}
	claims, err := v.Verify(context.Background(), accessToken(issuer, "https://api.example.com", "orders:read profile"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("subject:", claims.Subject)
	fmt.Println("client:", claims.ClientID)
	fmt.Println("scopes:", claims.Scopes)
	fmt.Println("expires:", claims.ExpiresAt)
	// Output:
	// subject: user-1
	// client: app
	// scopes: [orders:read profile]
	// expires: 2026-03-01 13:00:00 +0000 UTC
}

// Verify names what is wrong with a token by its sentinel error.
func ExampleVerifier_Verify() {
	srv, issuer := startIssuer()
	defer srv.Close()
	now := exampleNow
	v, err := verify.New(issuer, verify.Options{
		Audience:   "https://api.example.com",
		HTTPClient: srv.Client(),
		Now:        func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	token := accessToken(issuer, "https://api.example.com", "orders:read")

	_, err = v.Verify(context.Background(), token)
	fmt.Println("valid:", err == nil)

	_, err = v.Verify(context.Background(), accessToken(issuer, "https://billing.example.com", "orders:read"))
	fmt.Println("for another resource:", errors.Is(err, verify.ErrAudience))

	_, err = v.Verify(context.Background(), token+"\n")
	fmt.Println("with a newline:", errors.Is(err, verify.ErrMalformed))

	now = exampleNow.Add(time.Hour + verify.DefaultLeeway)
	_, err = v.Verify(context.Background(), token)
	fmt.Println("a minute after exp:", errors.Is(err, verify.ErrExpired))
	// Output:
	// valid: true
	// for another resource: true
	// with a newline: true
	// a minute after exp: true
}

// With Options.Keys the keys come from anywhere: here a fixed set, with no
// HTTP at all. edgeauth's authorization server gives a KeySource over its
// storage the same way.
func ExampleStaticKeys() {
	const issuer = "https://auth.example.com/t/acme"
	v, err := verify.New(issuer, verify.Options{
		Audience: "https://api.example.com",
		Keys: verify.StaticKeys{
			issuerKID: {Algorithm: "EdDSA", Public: issuerKey.Public()},
		},
		Now: func() time.Time { return exampleNow },
	})
	if err != nil {
		log.Fatal(err)
	}
	claims, err := v.Verify(context.Background(), accessToken(issuer, "https://api.example.com", "orders:read"))
	fmt.Println(claims.Subject, err)

	v, err = verify.New(issuer, verify.Options{
		Audience: "https://api.example.com",
		Keys:     verify.StaticKeys{}, // the token's kid is not there
		Now:      func() time.Time { return exampleNow },
	})
	if err != nil {
		log.Fatal(err)
	}
	_, err = v.Verify(context.Background(), accessToken(issuer, "https://api.example.com", "orders:read"))
	fmt.Println(errors.Is(err, verify.ErrUnknownKey))
	// Output:
	// user-1 <nil>
	// true
}

// Verifiers of one issuer for several audiences can share one RemoteKeys,
// and so one cache and one fetch schedule.
func ExampleNewRemoteKeys() {
	srv, issuer := startIssuer()
	defer srv.Close()
	keys, err := verify.NewRemoteKeys(issuer, verify.Options{HTTPClient: srv.Client()})
	if err != nil {
		log.Fatal(err)
	}
	for _, aud := range []string{"https://orders.example.com", "https://billing.example.com"} {
		v, err := verify.New(issuer, verify.Options{Audience: aud, Keys: keys, Now: func() time.Time { return exampleNow }})
		if err != nil {
			log.Fatal(err)
		}
		_, err = v.Verify(context.Background(), accessToken(issuer, aud, "read"))
		fmt.Println(aud, err)
	}
	k, err := keys.Key(context.Background(), issuerKID)
	fmt.Println(k.Algorithm, err)
	// Output:
	// https://orders.example.com <nil>
	// https://billing.example.com <nil>
	// EdDSA <nil>
}

// The one caller that checks aud itself, edgeauth's introspection endpoint
// answering for several resource servers, says so with SkipAudienceCheck
// and compares aud with HasResource.
func ExampleOptions_skipAudienceCheck() {
	const issuer = "https://auth.example.com/t/acme"
	v, err := verify.New(issuer, verify.Options{
		SkipAudienceCheck: true,
		Keys:              verify.StaticKeys{issuerKID: {Algorithm: "EdDSA", Public: issuerKey.Public()}},
		Now:               func() time.Time { return exampleNow },
	})
	if err != nil {
		log.Fatal(err)
	}
	claims, err := v.Verify(context.Background(), accessToken(issuer, "https://api.example.com/", "read"))
	if err != nil {
		log.Fatal(err)
	}
	// The introspecting client stands for https://api.example.com.
	fmt.Println(verify.HasResource(claims.Audience, "https://api.example.com"))
	fmt.Println(verify.HasResource(claims.Audience, "https://billing.example.com"))

	_, err = verify.New(issuer, verify.Options{Keys: verify.StaticKeys{}})
	fmt.Println(err)
	// Output:
	// true
	// false
	// verify: Options.Audience is required
}

// Middleware lets a request through only with a valid token granted the
// required scopes, and answers RFC 6750 errors otherwise.
func ExampleVerifier_Middleware() {
	srv, issuer := startIssuer()
	defer srv.Close()
	v, err := verify.New(issuer, verify.Options{
		Audience:   "https://api.example.com",
		Realm:      "orders",
		HTTPClient: srv.Client(),
		Now:        func() time.Time { return exampleNow },
	})
	if err != nil {
		log.Fatal(err)
	}
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := verify.FromContext(r.Context())
		fmt.Fprintf(w, "orders of %s", claims.Subject)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /orders", v.Middleware(orders, "orders:read"))

	get := func(token string) {
		r := httptest.NewRequest("GET", "/orders", nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			fmt.Println(w.Code, w.Body.String())
		} else {
			fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
	get("")
	get(accessToken(issuer, "https://api.example.com", "profile"))
	get(accessToken(issuer, "https://other.example.com", "orders:read"))
	get(accessToken(issuer, "https://api.example.com", "orders:read"))
	// Output:
	// 401 Bearer realm="orders", scope="orders:read"
	// 403 Bearer realm="orders", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:read"
	// 401 Bearer realm="orders", error="invalid_token", error_description="the access token is not meant for this resource", scope="orders:read"
	// 200 orders of user-1
}

func ExampleClaims_HasScopes() {
	c := &verify.Claims{Scopes: []string{"orders:read", "profile"}}
	fmt.Println(c.HasScopes("orders:read"))
	fmt.Println(c.HasScopes("orders:read", "profile"))
	fmt.Println(c.HasScopes("orders:read", "orders:write"))
	fmt.Println(c.HasScopes())
	// Output:
	// true
	// true
	// false
	// true
}

func ExampleClaims_RequireScopes() {
	c := &verify.Claims{Scopes: []string{"orders:read"}}
	fmt.Println(c.RequireScopes("orders:read"))
	err := c.RequireScopes("orders:read", "orders:write", "admin")
	fmt.Println(err)
	fmt.Println(errors.Is(err, verify.ErrInsufficientScope))
	// Output:
	// <nil>
	// verify: insufficient scope: missing ["orders:write" "admin"]
	// true
}

func ExampleSameResource() {
	fmt.Println(verify.SameResource("https://api.example.com", "HTTPS://API.example.com:443/"))
	fmt.Println(verify.SameResource("https://api.example.com/mcp", "https://api.example.com/mcp/"))
	fmt.Println(verify.SameResource("https://api.example.com/a", "https://api.example.com/x/../a"))
	fmt.Println(verify.SameResource("urn:example:api", "URN:example:api"))
	// Output:
	// true
	// false
	// false
	// false
}

func ExampleHasResource() {
	aud := []string{"https://orders.example.com/", "https://billing.example.com"}
	fmt.Println(verify.HasResource(aud, "https://orders.example.com"))
	fmt.Println(verify.HasResource(aud, "https://orders.example.com/admin"))
	// Output:
	// true
	// false
}

// A resource server publishes its RFC 9728 metadata so that clients (MCP
// clients, for one) find its authorization server, and points to it from
// its challenges with Options.ResourceMetadataURL.
func ExampleProtectedResourceHandler() {
	const resource = "https://mcp.example.com/mcp"
	metaURL, err := verify.ProtectedResourceMetadataURL(resource)
	if err != nil {
		log.Fatal(err)
	}
	h, err := verify.ProtectedResourceHandler(verify.ProtectedResource{
		Resource:             resource,
		AuthorizationServers: []string{"https://auth.example.com/t/acme"},
		ScopesSupported:      []string{"tools:call"},
	})
	if err != nil {
		log.Fatal(err)
	}
	u, _ := url.Parse(metaURL)
	mux := http.NewServeMux()
	mux.Handle("GET "+u.Path, h)

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", metaURL, nil))
	body, _ := io.ReadAll(w.Body)
	fmt.Println(metaURL)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(string(body))

	_, err = verify.ProtectedResourceHandler(verify.ProtectedResource{Resource: "http://mcp.example.com/mcp"})
	fmt.Println(err)
	// Output:
	// https://mcp.example.com/.well-known/oauth-protected-resource/mcp
	// 200 application/json
	// {"resource":"https://mcp.example.com/mcp","authorization_servers":["https://auth.example.com/t/acme"],"scopes_supported":["tools:call"],"bearer_methods_supported":["header"]}
	// verify: resource "http://mcp.example.com/mcp" must use https (http only on a loopback host: 127.0.0.1, [::1], localhost)
}

// A resource server that wants a revoked grant (a user who signed out, an
// admin's revocation) to reach it before its tokens expire adds the
// online check: Verify then also asks the issuer's introspection
// endpoint, and reuses each answer for CacheTTL. The resource server is a
// confidential client whose introspection_audiences name its audience.
func ExampleNewIntrospection() {
	srv, issuer := startIssuer()
	defer srv.Close()
	now := exampleNow
	clock := func() time.Time { return now }
	online, err := verify.NewIntrospection(verify.IntrospectionOptions{
		Endpoint: issuer + "/introspect", ClientID: "orders-api", ClientSecret: "its secret",
		HTTPClient: srv.Client(), CacheTTL: 30 * time.Second, Now: clock,
	})
	if err != nil {
		log.Fatal(err)
	}
	v, err := verify.New(issuer, verify.Options{
		Audience: "https://api.example.com", Online: online, HTTPClient: srv.Client(), Now: clock,
	})
	if err != nil {
		log.Fatal(err)
	}
	token := accessToken(issuer, "https://api.example.com", "orders:read")
	_, err = v.Verify(context.Background(), token)
	fmt.Println("active:", err == nil)

	revokedTokens.Store(token, true) // the user signs out at the issuer
	_, err = v.Verify(context.Background(), token)
	fmt.Println("within the cached answer's 30 s:", err == nil)
	now = now.Add(31 * time.Second)
	_, err = v.Verify(context.Background(), token)
	fmt.Println("then:", errors.Is(err, verify.ErrRevoked))
	// Output:
	// active: true
	// within the cached answer's 30 s: true
	// then: true
}
