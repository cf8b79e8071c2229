package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/storage"
)

// IDTokenHint is what the logout endpoint learns from an id_token_hint
// (OIDC RP-Initiated Logout 1.0 §2): who signed in, to which client, in
// which session.
type IDTokenHint struct {
	Subject   string // sub
	ClientID  string // aud: the client the ID token was issued to
	SessionID string // sid, "" for an ID token without one
}

// maxIDTokenHint bounds the id_token_hint read: edgeauth's ID tokens are
// well under 2 KiB.
const maxIDTokenHint = 8 << 10

// errBadHint is every way an id_token_hint can be wrong: one answer.
var errBadHint = errors.New("authz: id_token_hint is not an ID token of this issuer")

// VerifyIDTokenHint checks that raw is an ID token issuer issued: signed by
// one of tenant's published ID-token keys (keys from store), iss the
// issuer, aud one client. Its expiry is not checked: RP-Initiated Logout
// 1.0 §4 asks the OP to accept an expired ID token as a hint (an RP signs
// out long after sign-in); the keys bound how long one works, since a key
// dropped from the JWKS verifies nothing. A token that fails is an
// invalid_request error; a failure to read the keys is returned as it is.
func VerifyIDTokenHint(ctx context.Context, store storage.SigningKeys, issuer, tenant, raw string) (IDTokenHint, error) {
	bad := func(why string) (IDTokenHint, error) {
		return IDTokenHint{}, &Error{Code: CodeInvalidRequest, Description: "id_token_hint is not a valid ID token of this issuer",
			Err: fmt.Errorf("%w: %s", errBadHint, why)}
	}
	if len(raw) > maxIDTokenHint || strings.Count(raw, ".") != 2 {
		return bad("malformed")
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil || len(jws.Signatures) != 1 {
		return bad("not a compact JWS with one signature")
	}
	h := jws.Signatures[0].Header
	keys, err := store.ListKeys(ctx, tenant)
	if err != nil {
		return IDTokenHint{}, err
	}
	var key *storage.SigningKey
	for _, k := range jwks.Published(keys) {
		if k.KID == h.KeyID && k.Use == storage.UseIDToken {
			key = &k
			break
		}
	}
	if key == nil || key.Alg != h.Algorithm {
		return bad("no published ID-token key of that kid and alg")
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(key.PublicJWK); err != nil {
		return IDTokenHint{}, fmt.Errorf("authz: ID-token key %s: %w", key.KID, err)
	}
	payload, err := jws.Verify(jwk.Key)
	if err != nil {
		return bad("signature")
	}
	var c struct {
		Issuer   string          `json:"iss"`
		Subject  string          `json:"sub"`
		Audience json.RawMessage `json:"aud"`
		SID      string          `json:"sid"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Issuer != issuer || c.Subject == "" {
		return bad("claims")
	}
	var aud string
	if json.Unmarshal(c.Audience, &aud) != nil {
		var auds []string
		if json.Unmarshal(c.Audience, &auds) != nil || len(auds) != 1 {
			return bad("aud")
		}
		aud = auds[0]
	}
	if aud == "" {
		return bad("aud")
	}
	return IDTokenHint{Subject: c.Subject, ClientID: aud, SessionID: c.SID}, nil
}
