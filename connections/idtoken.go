package connections

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/edgeauth/edgeauth/internal/keyfit"
)

// leeway is the clock skew allowed on exp, iat and nbf, as package verify
// allows on access tokens.
const leeway = time.Minute

// idTokenAlgs are the signature algorithms an upstream ID token may use:
// asymmetric only. "none" and the HMAC algorithms (whose key would be the
// client secret) are refused by ParseSignedCompact.
var idTokenAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// jwk is one usable key of an upstream's JWKS.
type jwk struct {
	kid, alg string // alg "" when the set does not say (Entra ID's do not)
	key      crypto.PublicKey
}

// keySet is a fetched JWKS.
type keySet []jwk

// idClaims are the claims of an upstream ID token a sign-in reads (OIDC
// Core §2, §5.1).
type idClaims struct {
	Issuer          string           `json:"iss"`
	Subject         string           `json:"sub"`
	Audience        jwt.Audience     `json:"aud"`
	AuthorizedParty string           `json:"azp"`
	Expiry          *jwt.NumericDate `json:"exp"`
	IssuedAt        *jwt.NumericDate `json:"iat"`
	NotBefore       *jwt.NumericDate `json:"nbf"`
	Nonce           string           `json:"nonce"`
	Email           string           `json:"email"`
	EmailVerified   flexBool         `json:"email_verified"`
	Name            string           `json:"name"`
}

// flexBool reads a JSON boolean, or the strings "true" and "false" that
// some providers send for email_verified; anything else is false.
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *flexBool) UnmarshalJSON(data []byte) error {
	*b = flexBool(bytes.Equal(data, []byte("true")) || bytes.Equal(data, []byte(`"true"`)))
	return nil
}

// idTokenCheck is what an ID token is checked against.
type idTokenCheck struct {
	e        endpoints
	clientID string
	nonce    string
}

// verifyIDToken validates raw, an upstream's ID token, as OIDC Core
// §3.1.3.7 asks, and returns its claims. Every failure is ErrIDToken,
// but for a key set that cannot be fetched (ErrUnavailable).
func (b *Broker) verifyIDToken(ctx context.Context, raw string, want idTokenCheck) (*idClaims, error) {
	// §3.1.3.7 6-7: the signature, by the issuer's key, with an algorithm
	// of the list (never none, never HMAC).
	jws, err := jose.ParseSignedCompact(raw, idTokenAlgs)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIDToken, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: %d signatures", ErrIDToken, len(jws.Signatures))
	}
	h := jws.Signatures[0].Header
	payload, err := b.verifySignature(ctx, jws, want.e.jwksURI, h)
	if err != nil {
		return nil, err
	}
	var c idClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrIDToken, err)
	}
	if err := checkClaims(&c, want, b.cfg.Now()); err != nil {
		return nil, err
	}
	return &c, nil
}

// checkClaims applies OIDC Core §3.1.3.7 to verified claims.
func checkClaims(c *idClaims, want idTokenCheck, now time.Time) error {
	switch {
	// §3.1.3.7 2: iss MUST exactly match the issuer of the discovery document.
	case c.Issuer != want.e.issuer && (want.e.altIssuer == "" || c.Issuer != want.e.altIssuer):
		return fmt.Errorf("%w: iss %q is not %q", ErrIDToken, c.Issuer, want.e.issuer)
	// §3.1.3.7 3: aud MUST contain the client_id.
	case !slices.Contains(c.Audience, want.clientID):
		return fmt.Errorf("%w: aud %q does not name this client", ErrIDToken, []string(c.Audience))
	// §3.1.3.7 4-5: with several audiences azp names the client, and an
	// azp present must be the client.
	case len(c.Audience) > 1 && c.AuthorizedParty == "", c.AuthorizedParty != "" && c.AuthorizedParty != want.clientID:
		return fmt.Errorf("%w: azp %q is not this client", ErrIDToken, c.AuthorizedParty)
	// §3.1.3.7 9: the current time MUST be before exp.
	case c.Expiry == nil || !now.Before(c.Expiry.Time().Add(leeway)):
		return fmt.Errorf("%w: expired or without exp", ErrIDToken)
	// §3.1.3.7 10: iat is required; one in the future is refused.
	case c.IssuedAt == nil || c.IssuedAt.Time().After(now.Add(leeway)):
		return fmt.Errorf("%w: no iat, or iat in the future", ErrIDToken)
	case c.NotBefore != nil && now.Add(leeway).Before(c.NotBefore.Time()):
		return fmt.Errorf("%w: not valid before %v", ErrIDToken, c.NotBefore.Time())
	// §3.1.3.7 11: the nonce MUST be the one sent in the request.
	case c.Nonce != want.nonce:
		return fmt.Errorf("%w: nonce does not match", ErrIDToken)
	// §2: sub is required; at most 255 ASCII characters.
	case c.Subject == "" || len(c.Subject) > maxSubject:
		return fmt.Errorf("%w: sub missing or longer than %d bytes", ErrProfile, maxSubject)
	}
	return nil
}

// verifySignature finds the key of h (by kid, among keys fitting h's alg)
// in the key set at jwksURI and verifies jws with it. A kid the cached set
// lacks refetches the set, at most once per keysCooldown.
func (b *Broker) verifySignature(ctx context.Context, jws *jose.JSONWebSignature, jwksURI string, h jose.Header) ([]byte, error) {
	alg := jose.SignatureAlgorithm(h.Algorithm)
	now := b.cfg.Now()
	kept, ok := b.keys.Get(jwksURI, now)
	if !ok || (findKey(kept.set, h.KeyID, alg) == nil && now.Sub(kept.at) >= keysCooldown) {
		fresh, err := b.fetchKeys(ctx, jwksURI)
		if err != nil {
			if !ok {
				return nil, err
			}
		} else {
			kept = fetchedKeys{set: fresh, at: now}
			b.keys.Put(jwksURI, kept, now.Add(cacheTTL), now)
		}
	}
	k := findKey(kept.set, h.KeyID, alg)
	if k == nil {
		return nil, fmt.Errorf("%w: no key %q for %s in the issuer's key set", ErrIDToken, h.KeyID, alg)
	}
	payload, err := jws.Verify(k.key)
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrIDToken, err)
	}
	return payload, nil
}

// findKey returns the key of set that kid names (any key when kid is
// empty) and that alg may use: of alg's type and size, and published for
// alg or for no algorithm in particular (RFC 8725 §3.1).
func findKey(set keySet, kid string, alg jose.SignatureAlgorithm) *jwk {
	for i, k := range set {
		if (kid == "" || k.kid == kid) && (k.alg == "" || k.alg == string(alg)) && keyfit.Fits(string(alg), k.key) {
			return &set[i]
		}
	}
	return nil
}

// fetchKeys fetches a JWK Set (RFC 7517 §5) and keeps its signing keys:
// use "sig" or none, public, asymmetric. Other entries are skipped, as
// §5 asks of keys not understood.
func (b *Broker) fetchKeys(ctx context.Context, jwksURI string) (keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := b.getJSON(ctx, jwksURI, nil, &doc); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	var set keySet
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if k.UnmarshalJSON(raw) != nil || (k.Use != "" && k.Use != "sig") {
			continue
		}
		pub := k.Public()
		if !pub.Valid() || !pub.IsPublic() {
			continue
		}
		set = append(set, jwk{kid: k.KeyID, alg: k.Algorithm, key: pub.Key})
	}
	return set, nil
}
