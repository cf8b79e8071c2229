package verify

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Defaults and limits of Options.
const (
	// DefaultLeeway is the clock skew allowed on exp, nbf and iat: a
	// token is accepted until DefaultLeeway after its exp, and from
	// DefaultLeeway before its nbf and iat. It is edgeauth's one leeway:
	// resource servers, and edgeauth's own server when it checks its
	// tokens with this package, allow the same, so that a token is not
	// valid at one and expired at the other. A minute absorbs the clock difference
	// between edge locations and a resource server's host, and lets a
	// token outlive its exp by at most that; access tokens last minutes
	// to an hour, so it is small beside their lifetime.
	DefaultLeeway = 60 * time.Second
	// MaxLeeway is the largest Options.Leeway New accepts.
	MaxLeeway = 5 * time.Minute
	// DefaultRefreshCooldown is the shortest interval between two key-set
	// fetches.
	DefaultRefreshCooldown = 30 * time.Second
	// DefaultMinCacheTTL is the shortest time a fetched key set is fresh,
	// whatever the server's max-age. It equals edgeauth's own floor
	// (jwks.MinCacheMaxAge).
	DefaultMinCacheTTL = time.Minute
	// DefaultMaxCacheTTL is the longest time a fetched key set is fresh,
	// whatever the server's max-age.
	DefaultMaxCacheTTL = 24 * time.Hour
	// MaxCacheTTLLimit is the largest Options.MaxCacheTTL New accepts.
	MaxCacheTTLLimit = 7 * 24 * time.Hour
	// DefaultMaxStale is how long an expired key set keeps verifying while
	// every refetch fails.
	DefaultMaxStale = 5 * time.Minute
	// MaxStaleLimit is the largest Options.MaxStale New accepts.
	MaxStaleLimit = time.Hour
	// FetchTimeout bounds one discovery-plus-JWKS fetch, whatever the
	// HTTPClient's own timeout. Callers waiting on a fetch stop waiting
	// after it, and a fetch still running after it (its transport ignored
	// the context) no longer holds back the next one.
	FetchTimeout = 10 * time.Second
	// MaxTokenSize is the longest token Verify parses.
	MaxTokenSize = 32 << 10
)

// defaultAlgorithms are the algorithms accepted when Options.Algorithms is
// empty: those edgeauth signs access tokens with.
var defaultAlgorithms = []string{"ES256", "EdDSA", "RS256"}

// supportedAlgorithms are the asymmetric JWS algorithms Options.Algorithms
// may name. "none" and the HMAC algorithms (HS256, HS384, HS512) are
// refused: a verifier holds only public keys, and an HMAC "verified" with a
// public key proves nothing, since anyone can compute it.
var supportedAlgorithms = []jose.SignatureAlgorithm{
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
}

// Doer sends an HTTP request and returns its response, as
// (*http.Client).Do does. An interface rather than *http.Client so that a
// program which never fetches keys (Options.Keys set) does not link
// net/http's client: on js/wasm that is 4 MB of the binary.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Options configure a Verifier. Only Audience is required (or, for the
// one caller that checks aud itself, SkipAudienceCheck). A zero duration
// means the documented default; a duration out of its bounds is an error
// at New, never silently changed.
type Options struct {
	// Audience is the resource this service is, as it appears in the
	// tokens' aud claim (RFC 9068 §4: the resource server MUST check that
	// aud contains it). Required: New fails without it.
	//
	// An aud value matches when it names the same resource up to the form
	// of an https or http URL: the case of the scheme and host, a default
	// port, and "/" for an empty path, so that "https://api.example.com"
	// accepts a token for "https://API.example.com:443/" (what the MCP
	// TypeScript SDK sends as resource is new URL(resource).href). The
	// path, its trailing slash and the query must be the same; other
	// identifiers (URNs) must be identical. See SameResource and
	// ErrAudience.
	Audience string

	// SkipAudienceCheck, if true, turns the aud check off; Audience must
	// then be empty. It is for a caller that checks aud itself: the
	// authorization server introspecting its own tokens (RFC 7662) on
	// behalf of several resource servers, each with its own audience, or
	// serving userinfo. A resource server must never set it: it would
	// accept a token issued for any other resource of the same issuer
	// (RFC 9068 §4). Middleware refuses a Verifier that skips the check.
	SkipAudienceCheck bool

	// Keys is where Verify gets the issuer's public keys. Nil means
	// NewRemoteKeys(issuer, these Options): the issuer's published JWKS,
	// configured by the fields from HTTPClient on below. With Keys set
	// those fields must be zero, and New fails otherwise rather than
	// ignore them.
	Keys KeySource

	// Algorithms are the JWS alg values accepted; empty means ES256,
	// EdDSA and RS256, those edgeauth signs with. Allowed: ES256, ES384,
	// ES512, EdDSA, RS256, RS384, RS512, PS256, PS384, PS512. "none" and
	// HS* are refused at New.
	Algorithms []string

	// Leeway replaces DefaultLeeway, which says what it allows and why.
	// Zero means DefaultLeeway, a negative value means none; at most
	// MaxLeeway.
	Leeway time.Duration

	// Tenant, if set, is the edgeauth tenant the tenant claim must equal.
	// The issuer already names the tenant, so this is defence in depth.
	Tenant string

	// Realm is the realm of the middleware's WWW-Authenticate challenges;
	// empty means the issuer.
	Realm string

	// ResourceMetadataURL, if set, is added to every challenge of the
	// middleware as resource_metadata (RFC 9728 §5.1), so that a client
	// that was refused learns where to find the authorization server: the
	// URL of ProtectedResourceMetadataURL(Audience), usually.
	ResourceMetadataURL string

	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	// Online, if set, makes Verify also ask the issuer whether a token
	// that passed every offline check is still active (NewIntrospection):
	// revocation then reaches this resource server within Online's cache
	// lifetime, at the cost of a request to the issuer per token and
	// cache lifetime. Nil (the default) checks offline only. See the
	// package documentation, "Revocation".
	Online *Introspection

	// The fields below configure the default key source, RemoteKeys.

	// HTTPClient fetches the metadata and the JWKS; an *http.Client is
	// one. Nil means an *http.Client with a FetchTimeout timeout, except
	// on js/wasm, where it is required: inside a Go Worker, Go's net/http
	// client has no network, so pass one built on the Workers fetch API
	// with github.com/syumai/workers/cloudflare/fetch:
	//
	//	fetch.NewClient(fetch.WithBinding(js.Global().Get("globalThis"))).HTTPClient(fetch.RedirectModeFollow)
	//
	// for edgeauth on the public Internet, or, with edgeauth bound as a
	// service, fetch.WithBinding(cloudflare.GetBinding("AUTH")) (the
	// binding's Fetcher) in place of globalThis. The issuer URL is used
	// as it is; a service binding ignores its host.
	HTTPClient Doer

	// JWKSURI, if set, is the JWKS URL; discovery is then skipped. Set it
	// when the metadata is not reachable; otherwise leave it empty so that
	// the issuer's metadata, checked against the issuer, names it.
	JWKSURI string

	// RefreshCooldown is the shortest interval between two key-set
	// fetches, whatever triggers them (an unknown kid, an expired set, a
	// failed discovery). A token with an unknown kid within the cooldown
	// of the last fetch fails with ErrUnknownKey at once. Zero means
	// DefaultRefreshCooldown; at least one second and at most MinCacheTTL
	// (so that it never delays the refetch of an expired set).
	RefreshCooldown time.Duration

	// MinCacheTTL and MaxCacheTTL bound how long a fetched key set is
	// fresh: the JWKS response's Cache-Control max-age (less its Age
	// header) clamped to [MinCacheTTL, MaxCacheTTL]. A response without
	// max-age, or with no-cache or no-store, is fresh for MinCacheTTL.
	// Zero means DefaultMinCacheTTL / DefaultMaxCacheTTL; MinCacheTTL is at
	// least one second, MaxCacheTTL at most MaxCacheTTLLimit.
	//
	// edgeauth's key rotation is safe only for verifiers that refetch
	// within its max-age (at least one minute, at most one hour): raising
	// MinCacheTTL above the server's max-age breaks that guarantee.
	MinCacheTTL, MaxCacheTTL time.Duration

	// MaxStale is how long past its freshness an expired key set keeps
	// verifying tokens while every refetch fails (RFC 5861 stale-if-error).
	// It bounds how long a revoked key can outlive its revocation for a
	// verifier that cannot reach the server. Zero means DefaultMaxStale, a
	// negative value means none; at most MaxStaleLimit.
	MaxStale time.Duration
}

// Verifier validates one issuer's access tokens offline, against the keys
// of its KeySource. It is safe for concurrent use; make one per issuer and
// audience and keep it for the life of the process.
type Verifier struct {
	issuer   string
	audience string
	skipAud  bool // Options.SkipAudienceCheck
	tenant   string
	realm    string
	resMeta  string
	algs     []jose.SignatureAlgorithm
	leeway   time.Duration
	keys     KeySource
	online   *Introspection
	now      func() time.Time
}

// New returns a Verifier of the access tokens of issuer, for example
// "https://auth.example.com/t/acme". New does no I/O: with the default key
// source, discovery and the first JWKS fetch happen on the first Verify.
// It fails if the issuer is not an absolute https URL (http is allowed for
// loopback hosts, for development), if Audience is empty without
// SkipAudienceCheck or set with it, or if any option is out of bounds.
func New(issuer string, opts Options) (*Verifier, error) {
	if _, err := wellKnownURL(issuer); err != nil {
		return nil, err
	}
	switch {
	case opts.SkipAudienceCheck && opts.Audience != "":
		return nil, errors.New("verify: Options.Audience and SkipAudienceCheck exclude each other")
	case !opts.SkipAudienceCheck && opts.Audience == "":
		return nil, errors.New("verify: Options.Audience is required")
	}
	v := &Verifier{
		issuer:   issuer,
		audience: opts.Audience,
		skipAud:  opts.SkipAudienceCheck,
		tenant:   opts.Tenant,
		realm:    cmp.Or(opts.Realm, issuer),
		resMeta:  opts.ResourceMetadataURL,
		keys:     opts.Keys,
		online:   opts.Online,
		now:      opts.Now,
	}
	if v.now == nil {
		v.now = time.Now
	}
	if !validQuoted(v.realm) {
		return nil, fmt.Errorf("verify: realm %q has a character a quoted-string cannot hold", v.realm)
	}
	if v.resMeta != "" {
		if u, err := url.Parse(v.resMeta); err != nil || !u.IsAbs() || !validQuoted(v.resMeta) {
			return nil, fmt.Errorf("verify: Options.ResourceMetadataURL %q must be an absolute URL", v.resMeta)
		}
	}
	var err error
	if v.algs, err = algorithms(opts.Algorithms); err != nil {
		return nil, err
	}
	if v.leeway, err = (bounds{DefaultLeeway, 0, MaxLeeway, true}).apply("Leeway", opts.Leeway); err != nil {
		return nil, err
	}
	if v.keys != nil {
		if name := remoteField(opts); name != "" {
			return nil, fmt.Errorf("verify: Options.%s configures the default key source; it cannot be set with Options.Keys", name)
		}
		return v, nil
	}
	if v.keys, err = NewRemoteKeys(issuer, opts); err != nil {
		return nil, err
	}
	return v, nil
}

// remoteField returns the name of a field of o that configures RemoteKeys
// and is set, or "".
func remoteField(o Options) string {
	switch {
	case o.HTTPClient != nil:
		return "HTTPClient"
	case o.JWKSURI != "":
		return "JWKSURI"
	case o.RefreshCooldown != 0:
		return "RefreshCooldown"
	case o.MinCacheTTL != 0:
		return "MinCacheTTL"
	case o.MaxCacheTTL != 0:
		return "MaxCacheTTL"
	case o.MaxStale != 0:
		return "MaxStale"
	}
	return ""
}

// algorithms parses Options.Algorithms: empty means defaultAlgorithms;
// "none" and HMAC are refused, and so is an unknown name.
func algorithms(names []string) ([]jose.SignatureAlgorithm, error) {
	if len(names) == 0 {
		names = defaultAlgorithms
	}
	var algs []jose.SignatureAlgorithm
	for _, n := range names {
		a := jose.SignatureAlgorithm(n)
		switch {
		case slices.Contains(supportedAlgorithms, a):
			if !slices.Contains(algs, a) {
				algs = append(algs, a)
			}
		case strings.EqualFold(n, "none"), strings.HasPrefix(strings.ToUpper(n), "HS"):
			return nil, fmt.Errorf("verify: algorithm %q is refused: only asymmetric signatures prove who signed", n)
		default:
			return nil, fmt.Errorf("verify: unsupported algorithm %q", n)
		}
	}
	return algs, nil
}

// bounds are a duration option's default and bounds. With negativeIsZero
// a negative value means zero (the way to ask for none).
type bounds struct {
	def, lo, hi    time.Duration
	negativeIsZero bool
}

// apply checks the value d of the option name against b.
func (b bounds) apply(name string, d time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		d = b.def
	case d < 0 && b.negativeIsZero:
		return 0, nil
	}
	if d < b.lo || d > b.hi {
		return 0, fmt.Errorf("verify: Options.%s %v is out of [%v, %v]", name, d, b.lo, b.hi)
	}
	return d, nil
}

// wellKnownURL checks the issuer (RFC 8414 §2: a URL with the https scheme
// and no query or fragment) and returns its metadata URL (§3.1: the
// well-known path is inserted between the host and the issuer's path, with
// any terminating "/" of the path removed).
func wellKnownURL(issuer string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return "", fmt.Errorf("verify: issuer: %w", err)
	}
	if err := checkURL(u, issuer); err != nil {
		return "", fmt.Errorf("verify: issuer: %w", err)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(issuer, "#") {
		return "", fmt.Errorf("verify: issuer %q has a query or fragment", issuer)
	}
	wk := *u
	wk.Path = "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.Path, "/")
	wk.RawPath = ""
	if u.RawPath != "" {
		wk.RawPath = "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.RawPath, "/")
	}
	return wk.String(), nil
}

// checkFetchURL checks a URL the Verifier fetches keys from: absolute, and
// https unless the issuer's host is a loopback one.
func checkFetchURL(raw, issuer string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	return checkURL(u, issuer)
}

func checkURL(u *url.URL, issuer string) error {
	if u.Host == "" || u.User != nil {
		return fmt.Errorf("%q is not an absolute URL without userinfo", u.Redacted())
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		// Plain http lets anyone on the path swap the keys; it is allowed
		// only where the path is the local machine: edgeauth's dev server.
		iu, err := url.Parse(issuer)
		if err == nil && iu.Scheme == "http" && isLoopback(iu.Hostname()) && isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q: http is allowed only for a loopback issuer", u.Redacted())
	default:
		return fmt.Errorf("%q: scheme must be https", u.Redacted())
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Issuer returns the issuer the Verifier was made for.
func (v *Verifier) Issuer() string { return v.issuer }

// Verify validates token, an edgeauth access token (RFC 9068), and returns
// its claims. The checks run in this order, each failing with its own
// sentinel: compact JWS with one signature (ErrMalformed); alg in
// Options.Algorithms (ErrAlgorithm); typ at+jwt (ErrType); kid a usable key
// of the key source (ErrUnknownKey), which may fetch the JWKS; alg equal to
// that key's alg (ErrAlgorithm); signature (ErrSignature); claims a JSON
// object with sub, client_id and jti, names in their case, none twice
// (ErrMalformed); iss (ErrIssuer);
// aud (ErrAudience); exp (ErrExpired); nbf (ErrNotYetValid); iat
// (ErrIssuedAt); tenant (ErrTenant); then, with Options.Online only,
// whether the issuer still holds the token active (ErrRevoked). It
// returns ErrUnavailable when the key source, or the introspection
// endpoint of Options.Online, cannot answer. Scopes are not checked: see Claims.HasScopes and
// Middleware.
//
// ctx goes to the key source. With RemoteKeys it bounds only this caller's
// wait for a key-set fetch; the fetch itself runs on, shared with other
// callers, for at most FetchTimeout.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	now := v.now()
	if len(token) > MaxTokenSize {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxTokenSize)
	}
	if err := oneSpelling(token); err != nil {
		return nil, err
	}
	// RFC 9068 §4 / RFC 7515 §7.1: only the compact serialization; go-jose
	// refuses an alg outside v.algs here, "none" and HS* included.
	jws, err := jose.ParseSignedCompact(token, v.algs)
	if err != nil {
		if ua := (*jose.ErrUnexpectedSignatureAlgorithm)(nil); errors.As(err, &ua) {
			return nil, fmt.Errorf("%w: %q", ErrAlgorithm, ua.Got)
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: %d signatures", ErrMalformed, len(jws.Signatures))
	}
	h := jws.Signatures[0].Header
	// crit and b64 (RFC 7797) change how the payload is signed; an
	// access token never uses them.
	for _, name := range []jose.HeaderKey{"crit", "b64"} {
		if _, ok := h.ExtraHeaders[name]; ok {
			return nil, fmt.Errorf("%w: %s header", ErrMalformed, name)
		}
	}
	// RFC 9068 §4: the resource server MUST verify that typ is at+jwt or
	// application/at+jwt, so that an ID token cannot pass as an access token.
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return nil, fmt.Errorf("%w: typ %q", ErrType, typ)
	}
	if h.KeyID == "" {
		return nil, fmt.Errorf("%w: no kid header", ErrUnknownKey)
	}
	key, err := v.key(ctx, h.KeyID)
	if err != nil {
		return nil, err
	}
	// RFC 8725 §3.1: the alg must be the one the key is published for, so
	// a key is never used with an algorithm it was not made for.
	if key.Algorithm != h.Algorithm {
		return nil, fmt.Errorf("%w: %q with a %q key", ErrAlgorithm, h.Algorithm, key.Algorithm)
	}
	if pub, ok := key.Public.(*ecdsa.PublicKey); ok && highS(jws.Signatures[0].Signature, pub.Curve) {
		return nil, fmt.Errorf("%w: ECDSA s above half the curve order", ErrSignature)
	}
	payload, err := checkSignature(token, jws, key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	rc, err := parseClaims(payload)
	if err != nil {
		return nil, err
	}
	if err := v.checkClaims(rc, now); err != nil {
		return nil, err
	}
	c := rc.claims()
	if v.online != nil {
		if err := v.online.check(ctx, token, c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// b64url maps a byte of the base64url alphabet (RFC 4648 §5) to its value,
// and every other byte to -1.
var b64url = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = int8(i)
	}
	return t
}()

// oneSpelling checks that token is three segments of the base64url
// alphabet, without padding (RFC 7515 §2, §7.1), each in canonical form:
// the 2 or 4 bits of a last character that decode to nothing are zero
// (RFC 4648 §3.5).
//
// Why: Go's base64 decoders skip CR and LF and ignore those bits, and the
// signature covers the decoded header and payload, so without this one
// valid token has many spellings that all verify. None is a forgery, but a
// token that is not byte for byte the one issued defeats anything keyed on
// its string (a cache of verified tokens, a revocation or replay list).
func oneSpelling(token string) error {
	segments, start := 1, 0
	for i := 0; i <= len(token); i++ {
		if i < len(token) && token[i] != '.' {
			if b64url[token[i]] < 0 {
				return fmt.Errorf("%w: byte %#02x at %d is not base64url", ErrMalformed, token[i], i)
			}
			continue
		}
		seg := token[start:i]
		switch len(seg) % 4 {
		case 1:
			return fmt.Errorf("%w: segment %d has an impossible length", ErrMalformed, segments)
		case 2, 3:
			unused := byte(1)<<(2*(4-len(seg)%4)) - 1 // 4 bits, or 2
			if byte(b64url[seg[len(seg)-1]])&unused != 0 {
				return fmt.Errorf("%w: segment %d is not in canonical base64url", ErrMalformed, segments)
			}
		}
		if i < len(token) {
			segments++
			start = i + 1
		}
	}
	if segments != 3 {
		return fmt.Errorf("%w: %d segments, not 3", ErrMalformed, segments)
	}
	return nil
}

// halfOrders are n/2 of each curve ES256, ES384 and ES512 use, big-endian
// in the length of one half of their signatures.
var halfOrders = func() map[elliptic.Curve][]byte {
	m := make(map[elliptic.Curve][]byte)
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		p := c.Params()
		m[c] = new(big.Int).Rsh(p.N, 1).FillBytes(make([]byte, (p.BitSize+7)/8))
	}
	return m
}()

// highS reports whether sig, a JWS ECDSA signature r||s (RFC 7518 §3.4)
// on curve, has s above half the curve order n. A signature of another
// length is left to the signature check, which refuses it.
//
// Why: (r, s) and (r, n-s) are the same signature, both valid for
// crypto/ecdsa, so every ECDSA token would have a second spelling that
// verifies. Not a forgery, but malleable, like the encodings oneSpelling
// refuses. edgeauth's signer (jwks.Signer) writes the low form only, as
// Bitcoin does (BIP 62: "low S").
func highS(sig []byte, curve elliptic.Curve) bool {
	half, ok := halfOrders[curve]
	if !ok || len(sig) != 2*len(half) {
		return false
	}
	return bytes.Compare(sig[len(half):], half) > 0
}

// key asks the key source for kid. Its ErrUnknownKey and ErrUnavailable
// errors are returned as they are, any other error as ErrUnavailable (it
// says nothing about the token). A key that is not usable here, of an
// algorithm outside Options.Algorithms or not of the type and size its
// algorithm needs, counts as unknown, as RemoteKeys skips such JWKS entries.
func (v *Verifier) key(ctx context.Context, kid string) (Key, error) {
	k, err := v.keys.Key(ctx, kid)
	switch {
	case errors.Is(err, ErrUnknownKey), errors.Is(err, ErrUnavailable):
		return Key{}, err
	case err != nil:
		return Key{}, fmt.Errorf("%w: key source: %w", ErrUnavailable, err)
	}
	alg := jose.SignatureAlgorithm(k.Algorithm)
	if !slices.Contains(v.algs, alg) || !usableKeys.fits(alg, k.Public) {
		return Key{}, fmt.Errorf("%w: kid %q: the key source's %q key is not usable", ErrUnknownKey, kid, k.Algorithm)
	}
	return k, nil
}

// checkClaims applies RFC 9068 §4 and RFC 7519 §4.1 to verified claims.
func (v *Verifier) checkClaims(rc *rawClaims, now time.Time) error {
	switch {
	// RFC 9068 §4: iss MUST exactly match the issuer.
	case rc.Issuer != v.issuer:
		return fmt.Errorf("%w: %q", ErrIssuer, rc.Issuer)
	// RFC 9068 §4: aud MUST contain the resource's identifier, here up to
	// its URL form (scheme and host case, default port, empty path),
	// unless the caller checks aud itself.
	case !v.skipAud && !HasResource(rc.Audience, v.audience):
		return fmt.Errorf("%w: %q", ErrAudience, []string(rc.Audience))
	// RFC 9068 §2.2: exp is REQUIRED; §4: the current time MUST be before it.
	case rc.Expiry == nil:
		return fmt.Errorf("%w: no exp claim", ErrExpired)
	case !now.Before(rc.Expiry.t.Add(v.leeway)):
		return fmt.Errorf("%w: at %v", ErrExpired, rc.Expiry.t)
	// RFC 7519 §4.1.5: not accepted before nbf.
	case rc.NotBef != nil && now.Add(v.leeway).Before(rc.NotBef.t):
		return fmt.Errorf("%w: until %v", ErrNotYetValid, rc.NotBef.t)
	// RFC 9068 §2.2: iat is REQUIRED; one in the future is a forgery or a
	// broken clock.
	case rc.IssuedAt == nil:
		return fmt.Errorf("%w: no iat claim", ErrIssuedAt)
	case rc.IssuedAt.t.After(now.Add(v.leeway)):
		return fmt.Errorf("%w: %v is in the future", ErrIssuedAt, rc.IssuedAt.t)
	case v.tenant != "" && rc.Tenant != v.tenant:
		return fmt.Errorf("%w: %q", ErrTenant, rc.Tenant)
	}
	return nil
}
