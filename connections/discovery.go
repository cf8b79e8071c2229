package connections

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/edgeauth/edgeauth/storage"
)

// Well-known upstreams.
const (
	googleIssuer  = "https://accounts.google.com"
	githubWeb     = "https://github.com"
	githubAPI     = "https://api.github.com"
	maxDocBytes   = 256 << 10 // a discovery document, a key set, a GitHub answer
	maxUserEmails = 100       // GitHub addresses looked at
)

// endpoints are where one connection's sign-in goes.
type endpoints struct {
	// issuer is the issuer an OIDC connection's ID tokens must name; ""
	// for GitHub, which has no ID token.
	issuer               string
	altIssuer            string // Google's ID tokens may name "accounts.google.com"
	authURL, tokenURL    string
	jwksURI, userinfoURL string
	apiURL               string // GitHub's REST API
	authStyle            oauth2.AuthStyle
	issParameter         bool // the issuer sends iss in its authorization responses (RFC 9207)
}

// discovery is the part of an OpenID Provider's metadata a sign-in uses
// (OIDC Discovery §3).
type discovery struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	AuthMethods           []string `json:"token_endpoint_auth_methods_supported"`
	IssParameter          bool     `json:"authorization_response_iss_parameter_supported"`
}

// endpoints returns c's endpoints: fixed for GitHub, from the issuer's
// discovery document (kept in memory) for the OIDC kinds.
func (b *Broker) endpoints(ctx context.Context, c storage.Connection) (endpoints, error) {
	switch c.Kind {
	case storage.KindGitHub:
		e := endpoints{authURL: githubWeb + "/login/oauth/authorize", tokenURL: githubWeb + "/login/oauth/access_token",
			apiURL: githubAPI, authStyle: oauth2.AuthStyleInParams}
		if base := strings.TrimSuffix(c.Issuer, "/"); base != "" { // GitHub Enterprise Server
			e.authURL, e.tokenURL, e.apiURL = base+"/login/oauth/authorize", base+"/login/oauth/access_token", base+"/api/v3"
		}
		return e, nil
	case storage.KindGoogle:
		e, err := b.discover(ctx, googleIssuer)
		e.altIssuer = "accounts.google.com" // OIDC Core §15.6.2: Google's ID tokens may omit https://
		return e, err
	case storage.KindOIDC:
		return b.discover(ctx, c.Issuer)
	}
	return endpoints{}, fmt.Errorf("%w: connection kind %q", ErrUnavailable, c.Kind)
}

// discover fetches the OpenID Provider metadata of issuer (OIDC Discovery
// §4), or takes it from memory, and checks it.
func (b *Broker) discover(ctx context.Context, issuer string) (endpoints, error) {
	now := b.cfg.Now()
	d, ok := b.docs.Get(issuer, now)
	if !ok {
		var err error
		if d, err = b.fetchDiscovery(ctx, issuer); err != nil {
			return endpoints{}, err
		}
		b.docs.Put(issuer, d, now.Add(cacheTTL), now)
	}
	e := endpoints{
		issuer: d.Issuer, authURL: d.AuthorizationEndpoint, tokenURL: d.TokenEndpoint,
		jwksURI: d.JWKSURI, userinfoURL: d.UserinfoEndpoint, issParameter: d.IssParameter,
		// OIDC Discovery §3: client_secret_basic when the provider names
		// no method.
		authStyle: oauth2.AuthStyleInHeader,
	}
	if len(d.AuthMethods) > 0 && !slices.Contains(d.AuthMethods, "client_secret_basic") && slices.Contains(d.AuthMethods, "client_secret_post") {
		e.authStyle = oauth2.AuthStyleInParams
	}
	return e, nil
}

// fetchDiscovery fetches and checks issuer's metadata.
func (b *Broker) fetchDiscovery(ctx context.Context, issuer string) (*discovery, error) {
	var d discovery
	url := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	if err := b.getJSON(ctx, url, nil, &d); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	// OIDC Discovery §4.3: the issuer in the metadata MUST be identical to
	// the issuer used to fetch it, or the metadata MUST NOT be used.
	if d.Issuer != issuer {
		return nil, fmt.Errorf("%w: discovery at %s names issuer %q", ErrUnavailable, url, d.Issuer)
	}
	for name, u := range map[string]string{"authorization_endpoint": d.AuthorizationEndpoint, "token_endpoint": d.TokenEndpoint, "jwks_uri": d.JWKSURI} {
		if u == "" {
			return nil, fmt.Errorf("%w: discovery at %s has no %s", ErrUnavailable, url, name)
		}
		if err := b.checkRawURL(u); err != nil {
			return nil, fmt.Errorf("%w: discovery at %s: %s: %w", ErrUnavailable, url, name, err)
		}
	}
	if d.UserinfoEndpoint != "" && b.checkRawURL(d.UserinfoEndpoint) != nil {
		d.UserinfoEndpoint = "" // not used rather than trusted
	}
	return &d, nil
}

// getJSON GETs url with b's client and decodes its JSON answer into v;
// header, when not nil, completes the request. Anything but a 200 with
// JSON of at most maxDocBytes is ErrUnavailable (a status error says
// which).
func (b *Broker) getJSON(ctx context.Context, url string, header func(http.Header), v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrForbiddenURL, err)
	}
	req.Header.Set("Accept", "application/json")
	if header != nil {
		header(req.Header)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: GET %s: %w", ErrUnavailable, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocBytes+1))
	switch {
	case err != nil:
		return fmt.Errorf("%w: GET %s: %w", ErrUnavailable, url, err)
	case resp.StatusCode != http.StatusOK:
		return &statusError{url: url, status: resp.StatusCode}
	case len(body) > maxDocBytes:
		return fmt.Errorf("%w: GET %s: more than %d bytes", ErrUnavailable, url, maxDocBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: GET %s: not the JSON expected: %v", ErrUnavailable, url, err)
	}
	return nil
}

// statusError is an answer other than 200: ErrUnavailable.
type statusError struct {
	url    string
	status int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%v: GET %s: status %d", ErrUnavailable, e.url, e.status)
}

func (e *statusError) Unwrap() error { return ErrUnavailable }
