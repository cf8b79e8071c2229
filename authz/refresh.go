package authz

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
)

// RefreshKeyPurpose is the jwks.Sealer.Subkey purpose of
// Config.RefreshKey.
const RefreshKeyPurpose = "authz/refresh"

// A refresh token is "<fid>.<gen>-<mac>": the family's id (22 base64url
// characters, so a presented token finds its family in one read), the
// generation it was issued for (the family's Generation counts its
// rotations) and an HMAC-SHA256 of both under Config.RefreshKey (43
// base64url characters). The family keeps the SHA-256 of its current token
// only.
//
// Why a MAC and not a random secret: reuse detection (RFC 9700 §4.14.2)
// revokes a family when one of its earlier tokens comes back. With random
// secrets nothing tells an earlier token from a made-up one, so anyone who
// learnt a family id (it is not secret: it names the grant in the audit
// log and the admin API) could revoke the grant by presenting "<fid>.x".
// The MAC proves that a token was issued for generation gen of that family:
// a valid MAC of an earlier generation is reuse; anything else is just
// invalid, and revokes nothing. Forging one needs the key-encryption key,
// which also opens every signing key.
//
// Tokens issued before this format ("<fid>.<43 random characters>") still
// work while they are current; an old one presented later cannot be told
// from a made-up one, so it is refused without revoking anything.
const (
	familyIDLen = 22
	refreshMAC  = 43
)

// refreshToken is a parsed refresh token.
type refreshToken struct {
	raw    string
	family string
	gen    int64
	mac    string
	legacy bool // "<fid>.<secret>", from before the MAC
}

// parseRefreshToken reads a refresh token's parts; ok is false for
// anything that cannot be one (an access token, a made-up string).
func parseRefreshToken(raw string) (refreshToken, bool) {
	fid, rest, found := strings.Cut(raw, ".")
	if !found || len(fid) != familyIDLen || strings.Contains(rest, ".") {
		return refreshToken{}, false
	}
	if len(rest) == 43 {
		return refreshToken{raw: raw, family: fid, legacy: true}, true
	}
	g, mac, found := strings.Cut(rest, "-")
	gen, err := strconv.ParseInt(g, 10, 64)
	if !found || err != nil || gen < 0 || g != strconv.FormatInt(gen, 10) || len(mac) != refreshMAC {
		return refreshToken{}, false
	}
	return refreshToken{raw: raw, family: fid, gen: gen, mac: mac}, true
}

// refreshKey makes and checks refresh tokens' MACs: Config.RefreshKey.
type refreshKey []byte

// token is the refresh token of generation gen of family fid of tenant.
func (k refreshKey) token(tenant, fid string, gen int64) string {
	g := strconv.FormatInt(gen, 10)
	return fid + "." + g + "-" + k.mac(tenant, fid, g)
}

func (k refreshKey) mac(tenant, fid, gen string) string {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(tenant + "\x00" + fid + "\x00" + gen))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// made reports whether rt's MAC is the one of its family and generation
// in tenant: a token edgeauth issued (not necessarily still current). A
// token of before the MAC has none.
func (k refreshKey) made(rt refreshToken, tenant string) bool {
	if rt.legacy {
		return false
	}
	return hmac.Equal([]byte(k.mac(tenant, rt.family, strconv.FormatInt(rt.gen, 10))), []byte(rt.mac))
}

// issued reports whether rt is a token fam held, now or before: its MAC
// is valid and its generation is not past the family's.
func (k refreshKey) issued(rt refreshToken, fam storage.RefreshFamily) bool {
	if rt.legacy {
		return rt.current(fam)
	}
	return k.made(rt, fam.TenantID) && rt.family == fam.ID && rt.gen <= fam.Generation
}

// current reports whether rt is the family's current token.
func (rt refreshToken) current(fam storage.RefreshFamily) bool {
	return subtle.ConstantTimeCompare(secret.Hash(rt.raw), fam.TokenHash) == 1
}
