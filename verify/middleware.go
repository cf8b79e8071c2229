package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

type contextKey struct{}

// NewContext returns a copy of ctx that carries c, as Middleware does; use
// it to test handlers that call FromContext.
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, contextKey{}, c)
}

// FromContext returns the claims Middleware put in a request's context.
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(contextKey{}).(*Claims)
	return c, ok && c != nil
}

// Middleware returns a handler that lets a request through to next only
// with a valid access token granted every scope in requiredScopes; next
// reads the token's claims with FromContext. It reads the token from the
// Authorization header only (RFC 6750 §2.1; the scheme is matched without
// regard to case) and answers, per RFC 6750 §3:
//
//   - no Authorization header, or another scheme than Bearer: 401 with a
//     challenge without error code (§3.1: no error code when the request
//     has no authentication);
//   - more than one Authorization header, or "Bearer" without a token: 400,
//     error="invalid_request";
//   - an access_token query parameter (§2.3, which says it SHOULD NOT be
//     used): 400, error="invalid_request", with a bearer Authorization
//     header too (§3.1: "uses more than one method for including an
//     access token") or without one (the method is not supported). The
//     token in the query is never verified;
//   - a token Verify refuses: 401, error="invalid_token";
//   - a valid token without a required scope: 403, error="insufficient_scope";
//   - no usable keys (ErrUnavailable): 503 without a challenge, since the
//     fault is not the client's.
//
// Every challenge is WWW-Authenticate: Bearer realm="...", then
// resource_metadata="..." if Options.ResourceMetadataURL is set, the error
// and error_description if any, and scope="<required scopes>" if
// requiredScopes is not empty (§3 allows scope on any challenge; the MCP
// specification asks for it on 401), so that a client learns which scopes
// to ask for.
//
// Middleware never reads the request body: next gets it whole. So a
// form-encoded body's access_token parameter (§2.2) is found only if an
// outer handler has already parsed the form (r.PostForm is set); otherwise
// it is left for next, and a request that also has a bearer header is
// judged by its header alone.
//
// Error responses carry a JSON body {"error","error_description"} and
// Cache-Control: no-store. Descriptions are fixed texts per error: they never
// echo the token or its claims.
//
// Middleware panics if a required scope is not a valid scope token
// (RFC 6749 §3.3), or if v was made with Options.SkipAudienceCheck (a
// resource server must check aud, RFC 9068 §4): programming errors.
func (v *Verifier) Middleware(next http.Handler, requiredScopes ...string) http.Handler {
	if v.skipAud {
		panic("verify: Middleware: the Verifier skips the audience check (Options.SkipAudienceCheck)")
	}
	for _, s := range requiredScopes {
		if !validScopeToken(s) {
			panic(fmt.Sprintf("verify: Middleware: invalid scope %q", s))
		}
	}
	scope := strings.Join(requiredScopes, " ")
	required := append([]string(nil), requiredScopes...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Values("Authorization")
		if tokenOutsideHeader(r) {
			if slices.ContainsFunc(auth, isBearer) {
				v.deny(w, http.StatusBadRequest, "invalid_request", "the access token is sent in more than one way", scope)
			} else {
				v.deny(w, http.StatusBadRequest, "invalid_request", "the access token is accepted only in the Authorization header", scope)
			}
			return
		}
		if len(auth) == 0 {
			v.deny(w, http.StatusUnauthorized, "", "a bearer access token is required", scope)
			return
		}
		if len(auth) > 1 {
			v.deny(w, http.StatusBadRequest, "invalid_request", "more than one Authorization header", scope)
			return
		}
		if !isBearer(auth[0]) {
			v.deny(w, http.StatusUnauthorized, "", "a bearer access token is required", scope)
			return
		}
		_, token, _ := strings.Cut(strings.TrimSpace(auth[0]), " ")
		token = strings.TrimSpace(token)
		if token == "" {
			v.deny(w, http.StatusBadRequest, "invalid_request", "the bearer token is empty", scope)
			return
		}
		c, err := v.Verify(r.Context(), token)
		if errors.Is(err, ErrUnavailable) {
			writeJSON(w, http.StatusServiceUnavailable, "temporarily_unavailable", "the access token cannot be checked now")
			return
		}
		if err != nil {
			v.deny(w, http.StatusUnauthorized, "invalid_token", describe(err), scope)
			return
		}
		if !c.HasScopes(required...) {
			v.deny(w, http.StatusForbidden, "insufficient_scope", "the access token lacks a required scope", scope)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
	})
}

// isBearer reports whether an Authorization header value has the Bearer
// scheme, matched without regard to case (RFC 7235 §2.1).
func isBearer(header string) bool {
	scheme, _, _ := strings.Cut(strings.TrimSpace(header), " ")
	return strings.EqualFold(scheme, "Bearer")
}

// tokenOutsideHeader reports whether r carries an access_token parameter
// in its query (RFC 6750 §2.3) or in a form body an outer handler has
// already parsed (§2.2). It never reads the body.
func tokenOutsideHeader(r *http.Request) bool {
	if r.URL != nil && r.URL.Query().Has("access_token") {
		return true
	}
	return r.PostForm != nil && r.PostForm.Has("access_token")
}

// describe returns the error_description of a Verify error: a fixed text,
// so that nothing from the token is sent back.
func describe(err error) string {
	for _, d := range []struct {
		err  error
		text string
	}{
		{ErrMalformed, "the access token is malformed"},
		{ErrAlgorithm, "the access token's signing algorithm is not accepted"},
		{ErrType, "the token is not an access token"},
		{ErrUnknownKey, "the access token is signed by an unknown key"},
		{ErrSignature, "the access token's signature is invalid"},
		{ErrIssuer, "the access token is from another issuer"},
		{ErrAudience, "the access token is not meant for this resource"},
		{ErrExpired, "the access token expired"},
		{ErrNotYetValid, "the access token is not valid yet"},
		{ErrIssuedAt, "the access token's issue time is invalid"},
		{ErrTenant, "the access token is for another tenant"},
		{ErrRevoked, "the access token was revoked"},
	} {
		if errors.Is(err, d.err) {
			return d.text
		}
	}
	return "the access token is invalid"
}

// deny answers a bearer-token error (RFC 6750 §3). code "" gives a bare
// challenge.
func (v *Verifier) deny(w http.ResponseWriter, status int, code, desc, scope string) {
	var b strings.Builder
	fmt.Fprintf(&b, `Bearer realm="%s"`, v.realm)
	if v.resMeta != "" {
		fmt.Fprintf(&b, `, resource_metadata="%s"`, v.resMeta)
	}
	if code != "" {
		fmt.Fprintf(&b, `, error="%s", error_description="%s"`, code, desc)
	}
	if scope != "" {
		fmt.Fprintf(&b, `, scope="%s"`, scope)
	}
	w.Header().Set("WWW-Authenticate", b.String())
	writeJSON(w, status, code, desc)
}

func writeJSON(w http.ResponseWriter, status int, code, desc string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error       string `json:"error,omitempty"`
		Description string `json:"error_description"`
	}{code, desc})
}

// validQuoted reports whether s can go in a quoted-string without escapes:
// printable ASCII except '"' and '\' (RFC 6750 §3 allows no more in
// error_description, and realm is held to the same).
func validQuoted(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// validScopeToken reports whether s is a scope-token (RFC 6749 §3.3):
// 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(s string) bool {
	return s != "" && !strings.Contains(s, " ") && validQuoted(s)
}
