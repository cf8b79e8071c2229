package connections

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/storage"
)

// Bounds of a connection's configuration.
const (
	MaxNameLen     = 100
	MaxClientIDLen = 256
	MaxSecretLen   = 1024
	MaxScopes      = 20
)

// defaultScopes are asked of an upstream whose connection names none.
var defaultScopes = map[string][]string{
	storage.KindOIDC:   {"openid", "email", "profile"},
	storage.KindGoogle: {"openid", "email", "profile"},
	storage.KindGitHub: {"read:user", "user:email"},
}

// Scopes are what c asks of its upstream: its own scopes, else its
// kind's default; an OpenID Connect kind always asks openid.
func Scopes(c storage.Connection) []string {
	s := c.Scopes
	if len(s) == 0 {
		s = defaultScopes[c.Kind]
	}
	if c.Kind != storage.KindGitHub && !slices.Contains(s, "openid") {
		s = append([]string{"openid"}, s...)
	}
	return s
}

// DefaultName is the button's text for a connection without a name.
func DefaultName(c storage.Connection) string {
	switch c.Kind {
	case storage.KindGoogle:
		return "Google"
	case storage.KindGitHub:
		return "GitHub"
	}
	return c.ID
}

// Check reports, in words an admin can act on, what is wrong with c's
// configuration: its id, kind, name, issuer (https to a public host, or
// a loopback host with Config.InsecureLoopback; no query or fragment),
// client id and scopes. It fetches nothing: an issuer's discovery is
// fetched at the first sign-in.
func (b *Broker) Check(c storage.Connection) error {
	switch {
	case !syntax.ValidTenantID(c.ID):
		return fmt.Errorf("id must match [a-z0-9][a-z0-9-]{0,62}")
	case c.Kind != storage.KindOIDC && c.Kind != storage.KindGoogle && c.Kind != storage.KindGitHub:
		return fmt.Errorf("kind must be %q, %q or %q", storage.KindOIDC, storage.KindGoogle, storage.KindGitHub)
	case c.ClientID == "" || len(c.ClientID) > MaxClientIDLen || strings.ContainsFunc(c.ClientID, func(r rune) bool { return r < 0x21 || r > 0x7e }):
		return fmt.Errorf("client_id is required: 1-%d printable ASCII characters", MaxClientIDLen)
	case len(c.Scopes) > MaxScopes:
		return fmt.Errorf("at most %d scopes", MaxScopes)
	}
	if err := syntax.CheckText("name", c.Name, MaxNameLen); err != nil {
		return err
	}
	for _, s := range c.Scopes {
		if !syntax.ValidScopeToken(s) || len(s) > 200 {
			return fmt.Errorf("scope %q is not an RFC 6749 scope token", s)
		}
	}
	switch {
	case c.Kind == storage.KindGoogle && c.Issuer != "":
		return fmt.Errorf("a google connection has no issuer: it is %s", googleIssuer)
	case c.Kind == storage.KindOIDC && c.Issuer == "":
		return fmt.Errorf("an oidc connection needs its issuer (the URL its discovery document is under)")
	case c.Issuer == "":
		return nil
	}
	u, err := url.Parse(c.Issuer)
	if err != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(c.Issuer, "#") {
		return fmt.Errorf("issuer must be a URL without query or fragment")
	}
	if err := b.checkURL(u); err != nil {
		return fmt.Errorf("issuer: %s", strings.TrimPrefix(err.Error(), ErrForbiddenURL.Error()+": "))
	}
	return nil
}
