package authz

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/ratelimit"
)

// Register is RFC 7591 dynamic client registration, by tenant policy
// (settings.registration):
//
//	off    (default) registration is refused: 403 access_denied
//	token  an initial access token (RFC 7591 §3) is required as a bearer
//	       token; the admin API makes one (POST .../registration-token)
//	open   anyone may register a public client (token_endpoint_auth_method
//	       none); confidential clients need the token policy
//
// Client metadata the server does not understand is ignored (§2). A
// dynamic client can never be first party or choose its id, token
// lifetime or introspection_audiences (selfAsserted), and its
// authorization errors are redirected only to a browser that has signed
// in (authorizeError).
func (s *Server) Register(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := s.Tenant(ctx, r)
	if err != nil {
		return err
	}
	if err := s.Limit(ctx, ratelimit.LimitRegister, t.ID+"|"+ratelimit.ClientIP(r, s.cfg.ClientIPHeader)); err != nil {
		return err
	}
	switch t.Settings.Registration {
	case "open":
	case "token":
		realm := `Bearer realm="` + s.Issuer(t.ID) + `"`
		token, ok := BearerToken(r)
		if !ok {
			return &Error{Code: CodeInvalidToken, Description: "registration needs an initial access token", WWWAuthenticate: realm}
		}
		want, _ := hex.DecodeString(t.Settings.RegistrationTokenHash)
		if len(want) == 0 || subtle.ConstantTimeCompare(secret.Hash(token), want) != 1 {
			return &Error{Code: CodeInvalidToken, Description: "the initial access token is not valid", WWWAuthenticate: realm + `, error="invalid_token"`}
		}
	default:
		return Errorf(CodeAccessDenied, "dynamic client registration is not enabled for this tenant")
	}
	var in ClientMetadata
	if err := DecodeJSON(r, &in, false); err != nil {
		if e := (*Error)(nil); errors.As(err, &e) && e.Code == CodeInvalidRequest {
			e.Code = CodeInvalidClientMetadata // RFC 7591 §3.2.2
		}
		return err
	}
	if err := in.SelfAsserted(t); err != nil {
		return err
	}
	if t.Settings.Registration == "open" {
		// Open registration makes public clients only. RFC 7591 §3.2.1:
		// the server MAY replace a requested value, and the response says
		// what was registered; refusing would leave a client that asked
		// for a secret (or asked for nothing: the default is
		// client_secret_basic) without any registration.
		none := "none"
		in.TokenEndpointAuthMethod = &none
	}
	c, secret, err := s.CreateClient(ctx, t, in, true)
	if err != nil {
		return err
	}
	s.record(ctx, t.ID, "client.registered", "registration", c.ID, map[string]any{"policy": t.Settings.Registration})
	WriteJSON(w, http.StatusCreated, NewClientInfo(c, secret))
	return nil
}
