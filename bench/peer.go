//go:build !js

package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// peer is the peer library's fixture Worker (bench/peer/worker.mjs),
// seeded with one public client.
type peer struct {
	base, adminToken string
	http             *http.Client // follows no redirects
	clientID         string
}

// peerUser is the user every browser of the peer scenarios is signed in
// as, as every browser of edgeauth's is alice.
const peerUser = "alice"

// seed registers the public client (createClient through the fixture's
// set-up route).
func (p *peer) seed(ctx context.Context) error {
	uris, _ := json.Marshal([]string{publicRedirect})
	body, err := p.setup(ctx, p.http, "/bench/client?redirect_uris="+url.QueryEscape(string(uris)), http.StatusCreated)
	if err != nil {
		return err
	}
	var r struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.ClientID == "" {
		return fmt.Errorf("peer: POST /bench/client: no client_id in %s", body)
	}
	p.clientID = r.ClientID
	return nil
}

func (p *peer) setup(ctx context.Context, c *http.Client, path string, want int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", p.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+p.adminToken)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, &statusError{"peer: POST " + strings.SplitN(path, "?", 2)[0], resp.StatusCode, string(body)}
	}
	return body, nil
}

// signedInBrowser is a browser (its own cookie jar) with the fixture's
// session cookie: already signed in, unmeasured.
func (p *peer) signedInBrowser(ctx context.Context, transport http.RoundTripper) (*http.Client, error) {
	b := newBrowser(transport)
	if _, err := p.setup(ctx, b, "/bench/signin?user="+peerUser, http.StatusNoContent); err != nil {
		return nil, err
	}
	return b, nil
}

// codeFlowSession is the signed-in code flow with PKCE S256 in browser
// b: GET /authorize answers 302 to the client's redirect URI with the
// code, then the client's POST /token.
func (p *peer) codeFlowSession(ctx context.Context, b *http.Client) (tokenResponse, error) {
	verifier := randomSecret() + randomSecret() // 86 characters
	sum := sha256.Sum256([]byte(verifier))
	state := randomHex(8)
	q := url.Values{
		"response_type": {"code"}, "client_id": {p.clientID}, "redirect_uri": {publicRedirect}, "scope": {"read"},
		"state": {state}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	req, err := http.NewRequestWithContext(ctx, "GET", p.base+"/authorize?"+q.Encode(), nil)
	if err != nil {
		return tokenResponse{}, err
	}
	resp, err := b.Do(req)
	if err != nil {
		return tokenResponse{}, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return tokenResponse{}, &statusError{"peer: GET /authorize", resp.StatusCode, string(body)}
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), publicRedirect+"?") || loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
		return tokenResponse{}, fmt.Errorf("peer: authorization response %q: no code or wrong state", resp.Header.Get("Location"))
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {publicRedirect},
		"code_verifier": {verifier}, "client_id": {p.clientID}}
	t, err := postToken(ctx, b, p.base+"/token", form, "", "")
	if err == nil && t.RefreshToken == "" {
		err = fmt.Errorf("peer: code exchange: no refresh_token")
	}
	return t, err
}

// refresh rotates refresh token rt and returns the new one.
func (p *peer) refresh(ctx context.Context, c *http.Client, rt string) (string, error) {
	t, err := postToken(ctx, c, p.base+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {p.clientID}}, "", "")
	if err != nil {
		return "", err
	}
	if t.RefreshToken == "" || t.RefreshToken == rt {
		return "", fmt.Errorf("peer: refresh: the refresh token did not rotate")
	}
	return t.RefreshToken, nil
}

// peerScenarios are the peer's counterparts of edgeauth's scenarios.
func peerScenarios(p *peer, transport http.RoundTripper) []scenario {
	c := newHTTPClient(transport)
	return []scenario{
		{name: "peer_metadata", what: "peer: GET /.well-known/oauth-authorization-server (the library's RFC 8414 document)",
			newOp: func(context.Context, int) (op, error) {
				u := p.base + "/.well-known/oauth-authorization-server"
				return func(ctx context.Context) error { return get(ctx, c, u) }, nil
			}},
		{name: "peer_refresh", what: "peer: POST /token (refresh_token rotation; one chain per goroutine)",
			newOp: func(ctx context.Context, _ int) (op, error) {
				b, err := p.signedInBrowser(ctx, transport)
				if err != nil {
					return nil, err
				}
				t, err := p.codeFlowSession(ctx, b)
				if err != nil {
					return nil, err
				}
				rt := t.RefreshToken
				return func(ctx context.Context) error {
					next, err := p.refresh(ctx, c, rt)
					if err != nil {
						// Start a new chain, so one error does not become many.
						if t, ferr := p.codeFlowSession(ctx, b); ferr == nil {
							rt = t.RefreshToken
						}
						return err
					}
					rt = next
					return nil
				}, nil
			}},
		{name: "peer_code_flow_session", what: "peer: GET /authorize in a browser already signed in (302 with the code) + POST /token (PKCE S256)",
			newOp: func(ctx context.Context, _ int) (op, error) {
				b, err := p.signedInBrowser(ctx, transport)
				if err != nil {
					return nil, err
				}
				return func(ctx context.Context) error {
					_, err := p.codeFlowSession(ctx, b)
					return err
				}, nil
			}},
		{name: "peer_api_call", what: "peer: GET /api/hello with the peer's access token (the library's own check: a KV get, unwrapping the props key and decrypting the props)",
			newOp: func(ctx context.Context, _ int) (op, error) {
				b, err := p.signedInBrowser(ctx, transport)
				if err != nil {
					return nil, err
				}
				t, err := p.codeFlowSession(ctx, b)
				if err != nil {
					return nil, err
				}
				return func(ctx context.Context) error { return bearerGet(ctx, c, p.base+"/api/hello", t.AccessToken) }, nil
			}},
	}
}
