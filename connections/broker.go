package connections

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/edgeauth/edgeauth/internal/expiring"
	"github.com/edgeauth/edgeauth/internal/netcheck"
	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/storage"
)

// DefaultTimeout bounds one sign-in's calls upstream when Config.Timeout
// is zero.
const DefaultTimeout = 10 * time.Second

// Errors of a sign-in. Each wraps its cause; callers use errors.Is.
var (
	// ErrDisabled: the server has no transport for upstream requests.
	ErrDisabled = errors.New("connections: upstream sign-in is not configured on this server")
	// ErrUnavailable: the upstream could not be reached, did not answer
	// in time (the error then also wraps context.DeadlineExceeded), or
	// answered something that is not what it must answer.
	ErrUnavailable = errors.New("connections: the upstream provider is unavailable")
	// ErrRefused: the upstream's token endpoint refused the code (an
	// OAuth error such as invalid_grant or invalid_client).
	ErrRefused = errors.New("connections: the upstream provider refused the sign-in")
	// ErrIDToken: the upstream's ID token does not verify.
	ErrIDToken = errors.New("connections: the upstream ID token is not valid")
	// ErrProfile: the upstream did not say who signed in, or said it in a
	// form that cannot be used (no or an oversized subject).
	ErrProfile = errors.New("connections: the upstream profile is not usable")
	// ErrNoAccount: no user has the upstream account, none may be linked
	// to it, and the connection may not create one.
	ErrNoAccount = errors.New("connections: no user for this upstream account")
	// ErrLinkConflict: the user the upstream's verified e-mail names
	// already has another account of this connection.
	ErrLinkConflict = errors.New("connections: the matching user already has another account of this connection")
	// ErrForbiddenURL: an upstream URL breaks the rule (https to a
	// public host, or a loopback host with Config.InsecureLoopback).
	ErrForbiddenURL = errors.New("connections: upstream URL not allowed")
)

// Store is what a Broker reads and writes: connections, identities and
// users.
type Store interface {
	storage.Connections
	storage.Identities
	storage.Users
}

// Config is what a Broker needs. Store and SecretKey are required;
// without Transport the Broker refuses sign-ins (ErrDisabled) but still
// checks and seals connections.
type Config struct {
	Store Store
	// Transport carries every request upstream: natively
	// internal/safehttp's (public addresses only), in the Worker the
	// runtime's fetch (cfworker.FetchTransport). Redirects are never
	// followed.
	Transport http.RoundTripper
	// SecretKey seals client secrets and upstream tokens: 32 bytes, the
	// key-encryption key's subkey for SecretKeyPurpose.
	SecretKey []byte
	// InsecureLoopback lets upstream URLs name a loopback host, over http
	// or https. It is for development and tests on one machine (an
	// edgeauth tenant on 127.0.0.1 as the upstream of another), never for
	// a server others use: it would let an admin point sign-ins at
	// anything on the server's own host.
	InsecureLoopback bool
	// Timeout bounds the upstream calls of one sign-in; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of new user ids; nil means crypto/rand.Reader.
	Rand io.Reader
	// Logger receives upstream failures, never a secret; nil discards.
	Logger *slog.Logger
}

// Broker signs users in through a tenant's connections. Build it with
// New; it is safe for concurrent use.
type Broker struct {
	cfg    Config
	box    box
	client *http.Client // nil: disabled
	docs   *expiring.Map[string, *discovery]
	keys   *expiring.Map[string, fetchedKeys]
	log    *slog.Logger
}

// New checks cfg and builds the Broker.
func New(cfg Config) (*Broker, error) {
	if cfg.Store == nil {
		return nil, errors.New("connections: Config.Store is required")
	}
	b, err := newBox(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	br := &Broker{cfg: cfg, box: b, log: cfg.Logger,
		docs: expiring.New[string, *discovery](cacheMax), keys: expiring.New[string, fetchedKeys](cacheMax)}
	if cfg.Transport != nil {
		br.client = &http.Client{
			Transport: guarded{next: cfg.Transport, check: br.checkURL},
			// A redirect is an answer: following one would leave the URL
			// that was checked.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return br, nil
}

// Enabled reports whether the Broker can sign users in: the server has a
// transport for upstream requests.
func (b *Broker) Enabled() bool { return b.client != nil }

// checkURL applies the rule of upstream URLs: https to a public host, or,
// with Config.InsecureLoopback, http or https to a loopback host; never
// with user information.
func (b *Broker) checkURL(u *url.URL) error {
	host := u.Hostname()
	switch {
	case u.User != nil || u.Host == "":
		return fmt.Errorf("%w: %q is not an absolute URL without user information", ErrForbiddenURL, u.Redacted())
	case b.cfg.InsecureLoopback && (u.Scheme == "http" || u.Scheme == "https") && syntax.IsLoopbackHost(host):
		return nil
	case u.Scheme != "https":
		return fmt.Errorf("%w: %q is not https", ErrForbiddenURL, u.Redacted())
	}
	if err := netcheck.PublicHost(host); err != nil {
		return fmt.Errorf("%w: %q: %v", ErrForbiddenURL, u.Redacted(), err)
	}
	return nil
}

// checkRawURL is checkURL of a URL string, which must also be free of a
// fragment.
func (b *Broker) checkRawURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Fragment != "" {
		return fmt.Errorf("%w: %q is not a URL without a fragment", ErrForbiddenURL, raw)
	}
	return b.checkURL(u)
}

// guarded is a RoundTripper that checks each request's URL before next
// sends it.
type guarded struct {
	next  http.RoundTripper
	check func(*url.URL) error
}

// RoundTrip implements http.RoundTripper.
func (g guarded) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.check(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return g.next.RoundTrip(req)
}
