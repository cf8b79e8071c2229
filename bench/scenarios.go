//go:build !js

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// The scenarios of a run, in the order they are measured and reported:
// each edgeauth scenario that has a peer counterpart is measured right
// before it, so drift hits both alike.
var scenarioOrder = []string{
	"go_floor", "metadata", "peer_metadata", "jwks", "client_credentials",
	"refresh", "peer_refresh", "code_flow_session", "peer_code_flow_session",
	"api_call", "peer_api_call", "code_flow", "pbkdf2_floor", "d1_floor",
}

// The peer (Cloudflare's workers-oauth-provider) measured under stock
// wrangler dev before the bench measured it itself: 150-260 refresh
// rotations/s, 65-83 full code flows/s. The earlier bench issue's targets
// took 1.5 times its best figure; they are still reported beside the
// targets against the peer measured in the same run.
const (
	peerRefreshBest  = 260
	peerCodeFlowBest = 83
)

// targets are the goals per scenario, reported and never enforced.
var targets = map[string]target{
	"metadata":           {text: ">= 0.95x baseline", minRatio: 0.95},
	"jwks":               {text: ">= 0.95x baseline", minRatio: 0.95},
	"client_credentials": {text: ">= 0.5x baseline", minRatio: 0.5},
	"refresh": {text: fmt.Sprintf(">= 1.5x peer; >= %.0f/s (earlier: 1.5x peer's best %d)", 1.5*peerRefreshBest, peerRefreshBest),
		minVs: 1.5, minOps: 1.5 * peerRefreshBest},
	"code_flow_session": {text: ">= 1.5x peer", minVs: 1.5},
	"api_call":          {text: ">= 1.0x peer", minVs: 1.0},
	"code_flow": {text: fmt.Sprintf(">= %.1f/s (earlier: 1.5x peer's best %d)", 1.5*peerCodeFlowBest, peerCodeFlowBest),
		minOps: 1.5 * peerCodeFlowBest},
}

// edgeauthScenarios are the load scenarios against s, the seeded edgeauth.
func edgeauthScenarios(s *server, transport http.RoundTripper) []scenario {
	c := newHTTPClient(transport)
	return []scenario{
		{name: "go_floor", what: "GET /healthz: a request through worker.mjs and Go, with no storage, no crypto and no reuse",
			newOp: func(context.Context, int) (op, error) {
				u := s.base + "/healthz"
				return func(ctx context.Context) error { return get(ctx, c, u) }, nil
			}},
		{name: "metadata", what: "GET /.well-known/oauth-authorization-server/t/T", vs: "peer_metadata",
			newOp: func(context.Context, int) (op, error) {
				u := s.base + "/.well-known/oauth-authorization-server/t/" + s.tenant
				return func(ctx context.Context) error { return get(ctx, c, u) }, nil
			}},
		{name: "jwks", what: "GET /t/T/jwks.json",
			newOp: func(context.Context, int) (op, error) {
				u := s.issuer + "/jwks.json"
				return func(ctx context.Context) error { return get(ctx, c, u) }, nil
			}},
		{name: "client_credentials", what: "POST /t/T/token (client_credentials, client_secret_basic)",
			newOp: func(context.Context, int) (op, error) {
				return func(ctx context.Context) error { return s.clientCredentials(ctx, c) }, nil
			}},
		{name: "refresh", what: "POST /t/T/token (refresh_token rotation; one chain per goroutine)", vs: "peer_refresh",
			newOp: func(ctx context.Context, _ int) (op, error) {
				t, err := s.codeFlow(ctx, transport, false)
				if err != nil {
					return nil, err
				}
				rt := t.RefreshToken
				return func(ctx context.Context) error {
					next, err := s.refresh(ctx, c, rt)
					if err != nil {
						// The chain is broken (reuse revokes it): start a
						// new one, so one error does not become many.
						if t, ferr := s.codeFlow(ctx, transport, false); ferr == nil {
							rt = t.RefreshToken
						}
						return err
					}
					rt = next
					return nil
				}, nil
			}},
		{name: "code_flow", what: "authorize + login page + login POST (PBKDF2) + token exchange (PKCE S256, fresh cookie jar)", vs: "pbkdf2_floor",
			newOp: func(context.Context, int) (op, error) {
				return func(ctx context.Context) error {
					_, err := s.codeFlow(ctx, transport, false)
					return err
				}, nil
			}},
		{name: "code_flow_session", what: "authorize + token exchange in a browser already signed in (first-party client: no login, no consent page)", vs: "peer_code_flow_session",
			newOp: func(ctx context.Context, _ int) (op, error) {
				b := newBrowser(transport)
				if _, err := s.codeFlowIn(ctx, b, transport, false); err != nil { // signs in, unmeasured
					return nil, err
				}
				return func(ctx context.Context) error {
					_, err := s.codeFlowIn(ctx, b, transport, false)
					return err
				}, nil
			}},
	}
}

// resourceAudience is the resource identifier of examples/resource-worker
// in the bench: the aud of the tokens it accepts.
const resourceAudience = "https://api.example.com"

// apiCallScenario loads examples/resource-worker at resourceURL, which
// checks edgeauth's access tokens with the verify package (the keys come
// from edgeauth once, through its service binding, and stay in memory).
// Each goroutine gets one client_credentials token for the resource,
// unmeasured.
func apiCallScenario(s *server, resourceURL string, transport http.RoundTripper) scenario {
	c := newHTTPClient(transport)
	return scenario{name: "api_call", vs: "peer_api_call",
		what: "GET /api/hello of examples/resource-worker with an edgeauth access token (ES256 JWT checked by the verify package; keys cached)",
		newOp: func(ctx context.Context, _ int) (op, error) {
			t, err := s.token(ctx, c, url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}, "resource": {resourceAudience}}, s.svcID, s.svcSecret)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context) error { return bearerGet(ctx, c, resourceURL+"/api/hello", t.AccessToken) }, nil
		}}
}

// bearerGet fetches u with an access token and wants 200 with a
// {"message":"hello",...} body.
func bearerGet(ctx context.Context, c *http.Client, u, token string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"message":"hello"`) {
		return &statusError{"GET " + u, resp.StatusCode, string(body)}
	}
	return nil
}

// d1FloorScenario loads bench/d1floor: a JavaScript Worker making only
// the D1 round trip of a refresh rotation (one batch: the compare-and-set,
// the audit insert and the read back), one row per goroutine as the
// refresh scenario has one token chain per goroutine.
func d1FloorScenario(floorURL string, transport http.RoundTripper) scenario {
	c := newHTTPClient(transport)
	return scenario{name: "d1_floor", what: "a JavaScript Worker making a refresh's D1 round trip (1 batch: the compare-and-set, the audit insert and the read of the family joined with its user), nothing else",
		newOp: func(_ context.Context, i int) (op, error) {
			u := fmt.Sprintf("%s/?id=%d", floorURL, i%64)
			return func(ctx context.Context) error { return get(ctx, c, u) }, nil
		}}
}

// pbkdf2FloorScenario loads bench/pbkdf2: a JavaScript Worker deriving
// one PBKDF2-HMAC-SHA512 hash of 100,000 iterations per request, the
// password check of a sign-in.
func pbkdf2FloorScenario(floorURL string, transport http.RoundTripper) scenario {
	c := newHTTPClient(transport)
	return scenario{name: "pbkdf2_floor", what: "a JavaScript Worker deriving one PBKDF2-HMAC-SHA512 hash (100,000 iterations, WebCrypto) per request, nothing else",
		newOp: func(context.Context, int) (op, error) {
			return func(ctx context.Context) error { return get(ctx, c, floorURL+"/") }, nil
		}}
}

func baselineScenario(baseURL string, transport http.RoundTripper) scenario {
	c := newHTTPClient(transport)
	return scenario{name: "baseline", what: "GET / of a trivial Worker (small JSON)",
		newOp: func(context.Context, int) (op, error) {
			return func(ctx context.Context) error { return get(ctx, c, baseURL+"/") }, nil
		}}
}
