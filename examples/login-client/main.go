// Command login-client signs a user in to an edgeauth tenant the way a
// native app does (RFC 8252): authorization code with PKCE, a loopback
// redirect, then a refresh. It is a learning aid for `make dev`'s demo
// tenant and prints what it gets, tokens included: do not print tokens in a
// real client.
//
//	go run ./examples/login-client [-issuer http://127.0.0.1:8787/t/demo]
//	    [-client-id demo-app] [-listen 127.0.0.1:8788] [-scope "openid profile read"]
//
// It implements the client side of RFC 8414 (metadata discovery and its
// issuer check, §3.3), RFC 7636 (PKCE S256) and RFC 9207 (the iss parameter
// of the authorization response, against mix-up attacks).
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// main parses the flags and runs the flow; Ctrl-C stops it.
func main() {
	issuer := flag.String("issuer", "http://127.0.0.1:8787/t/demo", "issuer of the tenant (BASE_URL/t/TENANT)")
	clientID := flag.String("client-id", "demo-app", "public client with the redirect URI http://LISTEN/callback")
	listen := flag.String("listen", "127.0.0.1:8788", "loopback address of the callback server")
	scope := flag.String("scope", "openid profile read", "space-separated scopes to ask for")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *issuer, *clientID, *listen, strings.Fields(*scope)); err != nil {
		fmt.Fprintln(os.Stderr, "login-client:", err)
		os.Exit(1)
	}
}

// httpClient talks to the authorization server; every call has a deadline.
var httpClient = &http.Client{Timeout: 30 * time.Second}

// run is the whole flow: discover, authorize in the browser, exchange the
// code, show the tokens, refresh once.
func run(ctx context.Context, issuer, clientID, listen string, scopes []string) error {
	md, err := discover(ctx, httpClient, issuer)
	if err != nil {
		return err
	}
	fmt.Printf("issuer:         %s\nauthorize at:   %s\ntoken endpoint: %s\n\n", md.Issuer, md.AuthorizationEndpoint, md.TokenEndpoint)

	cfg := &oauth2.Config{
		ClientID:    clientID,
		RedirectURL: "http://" + listen + "/callback",
		Scopes:      scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL: md.AuthorizationEndpoint, TokenURL: md.TokenEndpoint,
			// A public client has no secret: client_id goes in the form.
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}

	// Listen before printing the URL, so the redirect cannot arrive first.
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("callback server: %w", err)
	}
	state := randomString()
	verifier := oauth2.GenerateVerifier()
	codes := make(chan callbackResult, 1)
	srv := &http.Server{Handler: callbackHandler(state, md, codes), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	fmt.Printf("Open this URL in a browser and sign in (make dev's demo user is \"demo\", its password is DEMO_PASSWORD in .dev.vars):\n\n  %s\n\nWaiting for the redirect to %s ...\n",
		cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), cfg.RedirectURL)

	var res callbackResult
	select {
	case res = <-codes:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Minute):
		return errors.New("no redirect within 10 minutes")
	}
	if res.err != nil {
		return res.err
	}

	octx := context.WithValue(ctx, oauth2.HTTPClient, httpClient)
	tok, err := cfg.Exchange(octx, res.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return fmt.Errorf("exchanging the code: %w", err)
	}
	fmt.Println("\nToken response:")
	printToken(os.Stdout, tok)

	if tok.RefreshToken == "" {
		fmt.Println("\nNo refresh token: nothing to refresh.")
		return nil
	}
	// Make the token look expired, so the TokenSource refreshes it now.
	old := *tok
	tok.Expiry = time.Now().Add(-time.Minute)
	fresh, err := cfg.TokenSource(octx, tok).Token()
	if err != nil {
		return fmt.Errorf("refreshing: %w", err)
	}
	fmt.Println("\nAfter one refresh:")
	printToken(os.Stdout, fresh)
	fmt.Printf("refresh token rotated: %v (the old one is now spent; reusing it revokes the whole family)\n",
		fresh.RefreshToken != "" && fresh.RefreshToken != old.RefreshToken)
	return nil
}

// metadata is the part of RFC 8414 authorization server metadata this
// client uses.
type metadata struct {
	Issuer                        string   `json:"issuer"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
	// IssParameterSupported: the server promises iss in every
	// authorization response (RFC 9207 §3).
	IssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
}

// metadataURL returns where RFC 8414 §3.1 puts an issuer's metadata: the
// well-known segment goes between the host and the issuer's path, so
// http://h/t/demo has http://h/.well-known/oauth-authorization-server/t/demo.
func metadataURL(issuer string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return "", fmt.Errorf("issuer %q: %w", issuer, err)
	}
	// RFC 8414 §2: an issuer is an https URL without query or fragment
	// (http is fine for a loopback development server).
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("issuer %q: want an http(s) URL with a host and no query, fragment or user info", issuer)
	}
	// RFC 8414 §3.1: a terminating "/" of the path MUST be removed first.
	u.Path = "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// discover fetches the issuer's metadata and checks it: the issuer in the
// document must be exactly the one asked for (RFC 8414 §3.3), both
// endpoints present, and PKCE S256 offered.
func discover(ctx context.Context, client *http.Client, issuer string) (*metadata, error) {
	mdURL, err := metadataURL(issuer)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, mdURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery: GET %s: %s", mdURL, resp.Status)
	}
	var md metadata
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&md); err != nil {
		return nil, fmt.Errorf("discovery: GET %s: %w", mdURL, err)
	}
	// RFC 8414 §3.3: the issuer MUST be identical to the one the URL was
	// built from; otherwise the document MUST NOT be used.
	if md.Issuer != issuer {
		return nil, fmt.Errorf("discovery: metadata issuer %q is not %q", md.Issuer, issuer)
	}
	if md.AuthorizationEndpoint == "" || md.TokenEndpoint == "" {
		return nil, errors.New("discovery: metadata lacks authorization_endpoint or token_endpoint")
	}
	if !slices.Contains(md.CodeChallengeMethodsSupported, "S256") {
		return nil, errors.New("discovery: the server does not offer PKCE S256")
	}
	return &md, nil
}

// checkCallback checks an authorization response (the redirect's query)
// and returns its code. It checks state (CSRF, RFC 6749 §10.12) and iss:
// RFC 9207 §2.4 says the client MUST compare iss with the issuer it sent
// the user to and reject a mismatch, and MUST reject a response without
// iss if the metadata promised it.
func checkCallback(q url.Values, state string, md *metadata) (string, error) {
	if got := q.Get("state"); got != state {
		return "", fmt.Errorf("callback: state %q is not the one sent", got)
	}
	iss, hasIss := q["iss"]
	switch {
	case hasIss && (len(iss) != 1 || iss[0] != md.Issuer):
		return "", fmt.Errorf("callback: iss %q is not %q (mix-up attack?)", iss, md.Issuer)
	case !hasIss && md.IssParameterSupported:
		return "", errors.New("callback: no iss, though the server promises one (RFC 9207)")
	}
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("callback: the server answered %s: %s", e, q.Get("error_description"))
	}
	code := q.Get("code")
	if code == "" {
		return "", errors.New("callback: no code and no error")
	}
	return code, nil
}

// callbackResult is what the callback handler hands to the flow.
type callbackResult struct {
	code string
	err  error
}

// callbackHandler serves GET /callback: it checks the authorization
// response, shows the user the outcome and sends it on out (the first one
// only).
func callbackHandler(state string, md *metadata, out chan<- callbackResult) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		code, err := checkCallback(r.URL.Query(), state, md)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<!doctype html><title>Sign-in failed</title><p>Sign-in failed: %s</p>", html.EscapeString(err.Error()))
		} else {
			fmt.Fprint(w, "<!doctype html><title>Signed in</title><p>Signed in. You can close this tab and go back to the terminal.</p>")
		}
		select {
		case out <- callbackResult{code: code, err: err}:
		default: // a second redirect: the first one decided
		}
	})
	return mux
}

// printToken shows a token response. The access token's claims are decoded
// from the JWT payload WITHOUT verifying the signature: fine for looking,
// never for trusting. A resource server verifies it against the JWKS.
func printToken(w io.Writer, tok *oauth2.Token) {
	fmt.Fprintf(w, "access token:   %s\n", tok.AccessToken)
	if claims, err := jwtClaims(tok.AccessToken); err != nil {
		fmt.Fprintf(w, "its claims:     (not a JWT: %v)\n", err)
	} else {
		pretty, _ := json.MarshalIndent(claims, "  ", "  ")
		fmt.Fprintf(w, "its claims, decoded but NOT verified:\n  %s\n", pretty)
	}
	scope, _ := tok.Extra("scope").(string)
	fmt.Fprintf(w, "token type:     %s\nscope:          %q\nexpires:        %s (in %s)\n",
		tok.Type(), scope, tok.Expiry.Format(time.RFC3339), time.Until(tok.Expiry).Round(time.Second))
	fmt.Fprintf(w, "refresh token:  %v\nid token:       %v\n", tok.RefreshToken != "", tok.Extra("id_token") != nil)
}

// jwtClaims decodes the payload of a compact JWS without verifying it.
func jwtClaims(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%d parts; want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return claims, nil
}

// randomString returns 256 random bits, base64url-encoded, for state.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
