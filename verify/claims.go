package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	josejson "github.com/go-jose/go-jose/v4/json"
)

// Claims are the claims of a verified edgeauth access token (RFC 9068 §2.2
// plus edgeauth's tenant and roles). Times absent from the token are the
// zero time.
type Claims struct {
	Issuer    string    // iss
	Subject   string    // sub: the user id, or the client id for client_credentials
	Audience  []string  // aud, a single string in the token becomes one element
	ExpiresAt time.Time // exp
	IssuedAt  time.Time // iat
	NotBefore time.Time // nbf, zero if absent
	ID        string    // jti
	ClientID  string    // client_id
	Scopes    []string  // scope, split on spaces
	Roles     []string  // roles (user tokens)
	Tenant    string    // tenant
	AuthTime  time.Time // auth_time (user tokens), zero if absent
	// GrantID is grant_id: the grant a user's token was issued for, which
	// edgeauth's introspection checks is still in force ("" if absent).
	GrantID string
	// Actor is act (RFC 8693 §4.1), set on a token issued by token
	// exchange: the client acting for the subject. nil if absent.
	Actor *Actor
}

// Actor is the act claim (RFC 8693 §4.1): the party that acts for the
// token's subject, and, in Actor, the one that acted before it when the
// token was exchanged more than once.
type Actor struct {
	Subject string `json:"sub"`
	Actor   *Actor `json:"act,omitempty"`
}

// HasScopes reports whether the token was granted every scope given. It
// reports true when none are given.
func (c *Claims) HasScopes(scopes ...string) bool {
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			return false
		}
	}
	return true
}

// RequireScopes returns nil if the token was granted every scope given, and
// otherwise an error wrapping ErrInsufficientScope that names the missing
// ones.
func (c *Claims) RequireScopes(scopes ...string) error {
	var missing []string
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %q", ErrInsufficientScope, missing)
	}
	return nil
}

// rawClaims is the JSON form of the payload. Pointers tell absent from zero.
type rawClaims struct {
	Issuer   string       `json:"iss"`
	Subject  string       `json:"sub"`
	Audience audience     `json:"aud"`
	Expiry   *numericDate `json:"exp"`
	IssuedAt *numericDate `json:"iat"`
	NotBef   *numericDate `json:"nbf"`
	ID       string       `json:"jti"`
	ClientID string       `json:"client_id"`
	Scope    string       `json:"scope"`
	Roles    []string     `json:"roles"`
	Tenant   string       `json:"tenant"`
	AuthTime *numericDate `json:"auth_time"`
	GrantID  string       `json:"grant_id"`
	Act      *Actor       `json:"act"`
}

// parseClaims decodes a JWT payload, which must be a JSON object
// (RFC 7519 §7.2 step 10), with go-jose's JSON decoder: claim names are
// case-sensitive (RFC 7519 §4: "AUD" is not aud, where encoding/json would
// take it for one), and a name given twice is refused (§4 allows that).
// RFC 9068 §2.2's REQUIRED sub, client_id and jti must be there.
func parseClaims(payload []byte) (*rawClaims, error) {
	if p := bytes.TrimLeft(payload, " \t\r\n"); len(p) == 0 || p[0] != '{' {
		return nil, fmt.Errorf("%w: payload is not a JSON object", ErrMalformed)
	}
	var rc rawClaims
	if err := josejson.Unmarshal(payload, &rc); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	if rc.Subject == "" || rc.ClientID == "" || rc.ID == "" {
		return nil, fmt.Errorf("%w: sub, client_id and jti are required (RFC 9068 §2.2)", ErrMalformed)
	}
	return &rc, nil
}

func (rc *rawClaims) claims() *Claims {
	return &Claims{
		Issuer:    rc.Issuer,
		Subject:   rc.Subject,
		Audience:  []string(rc.Audience),
		ExpiresAt: rc.Expiry.time(),
		IssuedAt:  rc.IssuedAt.time(),
		NotBefore: rc.NotBef.time(),
		ID:        rc.ID,
		ClientID:  rc.ClientID,
		Scopes:    strings.Fields(rc.Scope),
		Roles:     rc.Roles,
		Tenant:    rc.Tenant,
		AuthTime:  rc.AuthTime.time(),
		GrantID:   rc.GrantID,
		Actor:     rc.Act,
	}
}

// audience is aud: a string or an array of strings (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*a = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("aud is neither a string nor an array of strings")
	}
	*a = l
	return nil
}

// numericDate is a JSON NumericDate: seconds since the epoch, possibly
// fractional (RFC 7519 §2).
type numericDate struct{ t time.Time }

// maxNumericDate is 9999-12-31T23:59:59Z; later dates are refused so that
// the arithmetic on them cannot overflow.
const maxNumericDate = 253402300799

func (d *numericDate) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("NumericDate %s is not a number", b)
	}
	if f < 0 || f > maxNumericDate || math.IsNaN(f) {
		return fmt.Errorf("NumericDate %s is out of range", b)
	}
	sec, frac := math.Modf(f)
	d.t = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

func (d *numericDate) time() time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.t
}
