package verify

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/internal/expiring"
)

// Bounds of Introspection's cache.
const (
	// DefaultIntrospectionTTL is how long an introspection answer is
	// reused when IntrospectionOptions.CacheTTL is zero: a revocation
	// reaches the resource server within it.
	DefaultIntrospectionTTL = 30 * time.Second
	// MaxIntrospectionTTL bounds IntrospectionOptions.CacheTTL.
	MaxIntrospectionTTL = 5 * time.Minute
	// maxIntrospected bounds the answers kept in memory.
	maxIntrospected = 10000
	// maxIntrospectionAnswer bounds what is read of an answer.
	maxIntrospectionAnswer = 64 << 10
)

// IntrospectionOptions configure an Introspection.
type IntrospectionOptions struct {
	// Endpoint is the issuer's introspection endpoint (RFC 7662 §2): for
	// edgeauth, the issuer followed by "/introspect" (its metadata's
	// introspection_endpoint). Required; https, or http on a loopback host
	// when the issuer is one too.
	Endpoint string
	// ClientID and ClientSecret authenticate the resource server
	// (client_secret_basic, RFC 7662 §2.1: the endpoint MUST require
	// authorization). Required. At edgeauth this is a confidential client
	// whose introspection_audiences name the resource server's audience:
	// a token of another audience introspects inactive.
	ClientID, ClientSecret string
	// HTTPClient sends the requests; nil means a client with a
	// FetchTimeout timeout. Inside a Go Worker pass a client on the
	// Workers fetch API, as for Options.HTTPClient.
	HTTPClient *http.Client
	// CacheTTL is how long an answer is reused for the same token: zero
	// means DefaultIntrospectionTTL, a negative value none (every Verify
	// asks), at most MaxIntrospectionTTL. An answer is never reused past
	// the token's exp.
	CacheTTL time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Introspection is the optional online check of Verify (Options.Online):
// it asks the issuer's introspection endpoint whether a token that passed
// every offline check is still active, and keeps the answer for a short
// while. It is safe for concurrent use; keep one for the life of the
// process, as the Verifier.
type Introspection struct {
	endpoint         string
	clientID, secret string
	client           *http.Client
	ttl              time.Duration
	now              func() time.Time

	answers *expiring.Map[[sha256.Size]byte, bool] // active or not, by the token's hash
}

// NewIntrospection checks opts and returns the check. It does no I/O.
func NewIntrospection(opts IntrospectionOptions) (*Introspection, error) {
	u, err := url.Parse(opts.Endpoint)
	if err != nil || opts.Endpoint == "" {
		return nil, errors.New("verify: IntrospectionOptions.Endpoint must be an absolute URL")
	}
	if err := checkURL(u, opts.Endpoint); err != nil {
		return nil, fmt.Errorf("verify: IntrospectionOptions.Endpoint: %w", err)
	}
	if opts.ClientID == "" || opts.ClientSecret == "" {
		return nil, errors.New("verify: IntrospectionOptions.ClientID and ClientSecret are required (RFC 7662 §2.1)")
	}
	i := &Introspection{endpoint: opts.Endpoint, clientID: opts.ClientID, secret: opts.ClientSecret,
		client: opts.HTTPClient, now: opts.Now, answers: expiring.New[[sha256.Size]byte, bool](maxIntrospected)}
	if i.client == nil {
		i.client = &http.Client{Timeout: FetchTimeout}
	}
	if i.now == nil {
		i.now = time.Now
	}
	if i.ttl, err = (bounds{DefaultIntrospectionTTL, time.Second, MaxIntrospectionTTL, true}).apply("CacheTTL", opts.CacheTTL); err != nil {
		return nil, fmt.Errorf("verify: IntrospectionOptions.CacheTTL %v is out of [%v, %v]", opts.CacheTTL, time.Second, MaxIntrospectionTTL)
	}
	return i, nil
}

// check asks whether token, whose claims c passed every offline check, is
// still active: nil, ErrRevoked, or ErrUnavailable when the issuer cannot
// answer (the caller cannot tell, so the token is refused: fail closed).
func (i *Introspection) check(ctx context.Context, token string, c *Claims) error {
	key := sha256.Sum256([]byte(token))
	now := i.now()
	active, ok := i.answers.Get(key, now)
	if !ok {
		var err error
		if active, err = i.ask(ctx, token); err != nil {
			return fmt.Errorf("%w: introspection: %w", ErrUnavailable, err)
		}
		until := now.Add(i.ttl)
		if c.ExpiresAt.Before(until) {
			until = c.ExpiresAt
		}
		i.answers.Put(key, active, until, now)
	}
	if !active {
		return fmt.Errorf("%w: the issuer says the token is not active", ErrRevoked)
	}
	return nil
}

// ask sends one introspection request (RFC 7662 §2.1) and reads "active"
// from its answer (§2.2).
func (i *Introspection) ask(ctx context.Context, token string) (bool, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, i.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 §2.3.1: id and secret form-encoded, then Basic.
	req.SetBasicAuth(url.QueryEscape(i.clientID), url.QueryEscape(i.secret))
	resp, err := i.client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIntrospectionAnswer))
	if err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%s answered %s", i.endpoint, resp.Status)
	}
	var out struct {
		Active *bool `json:"active"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Active == nil {
		return false, fmt.Errorf("%s answered no RFC 7662 response", i.endpoint)
	}
	return *out.Active, nil
}
