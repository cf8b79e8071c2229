package authz

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/storecache"
)

// maxAdminBody bounds an admin request body. Client metadata with twenty
// long redirect URIs fits comfortably.
const maxAdminBody = 64 << 10

// admin wraps an admin API handler with bearer authentication (RFC 6750
// §2.1) against Config.AdminToken. Admin handlers read records fresh, never
// from the cache: they read, modify and write back.
func (s *Server) admin(h handlerFunc) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		r = r.WithContext(storecache.Fresh(r.Context()))
		if err := s.limit(r.Context(), ratelimit.LimitAdmin, ratelimit.ClientIP(r, s.cfg.ClientIPHeader)); err != nil {
			return err
		}
		token, ok := bearerToken(r)
		if !ok || !s.isAdminToken(token) {
			if err := s.limit(r.Context(), ratelimit.LimitAdminFails, ratelimit.ClientIP(r, s.cfg.ClientIPHeader)); err != nil {
				return err
			}
		}
		if !ok {
			s.audit(r.Context(), "", "admin.auth_failed", "", r.Method+" "+r.URL.Path, map[string]any{"reason": "no bearer token"})
			return &Error{Code: CodeInvalidToken, Description: "the admin API needs Authorization: Bearer <ADMIN_TOKEN>",
				WWWAuthenticate: `Bearer realm="edgeauth-admin"`}
		}
		if !s.isAdminToken(token) {
			s.audit(r.Context(), "", "admin.auth_failed", "", r.Method+" "+r.URL.Path, map[string]any{"reason": "wrong token"})
			return &Error{Code: CodeInvalidToken, Description: "the admin token is not valid",
				WWWAuthenticate: `Bearer realm="edgeauth-admin", error="invalid_token"`}
		}
		return h(w, r)
	})
}

// isAdminToken compares in constant time. Hashing both sides first makes
// the comparison independent of the tokens' lengths too.
func (s *Server) isAdminToken(token string) bool {
	got := sha256.Sum256([]byte(token))
	want := sha256.Sum256([]byte(s.cfg.AdminToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// bearerToken returns the token of an "Authorization: Bearer" header. The
// scheme is case-insensitive (RFC 9110 §11.1).
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// decodeJSON reads one JSON object from the body into v, strictly: the
// media type must be application/json, the body at most maxAdminBody bytes
// of valid UTF-8, unknown fields and trailing data are errors, and a
// wrong-typed field is named in the error.
func decodeJSON(r *http.Request, v any) error { return decodeJSONBody(r, v, true) }

// decodeJSONBody is decodeJSON, with unknown fields an error only when
// strict (RFC 7591 §2 has registration ignore what it does not know).
func decodeJSONBody(r *http.Request, v any, strict bool) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errorf(CodeUnsupportedMediaType, "the body must be application/json")
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxAdminBody)
	body, err := readAll(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errorf(CodeInvalidRequest, "the body is empty; a JSON object is required")
	}
	if !utf8.Valid(body) {
		return errorf(CodeInvalidRequest, "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(CodeInvalidRequest, "unexpected data after the JSON object")
	}
	return nil
}

// readAll reads a body limited by http.MaxBytesReader, telling "too
// large" from other failures.
func readAll(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errorf(CodeRequestTooLarge, "the body is larger than %d bytes", tooLarge.Limit)
	case err != nil:
		return nil, errorf(CodeInvalidRequest, "the body could not be read")
	}
	return body, nil
}

// jsonError describes a decoding failure without echoing the body.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return errorf(CodeInvalidRequest, "malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errorf(CodeInvalidRequest, "the body must be a JSON object")
		}
		return errorf(CodeInvalidRequest, "field %q must be %s", typ.Field, jsonTypeName(typ.Type.Kind().String()))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(CodeInvalidRequest, "truncated JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errorf(CodeInvalidRequest, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return errorf(CodeInvalidRequest, "the body is not a valid JSON object")
	}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	default:
		return "a number"
	}
}

// timeJSON renders a time as RFC 3339, or omits it when zero.
func timeJSON(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// maxChangeAttempts bounds the rereads of change.
const maxChangeAttempts = 5

// change is a read-modify-write of one record under the store's
// compare-and-set (UpdateTenant, UpdateClient): read gets the record as
// stored, modify applies the request to it, and write stores it unless
// another change landed since the read (storage.ErrConflict), in which case
// it starts again from a new read. So two changes of one record at once
// both take effect, each applied on top of the other, and neither undoes
// the other (a PATCH writing back a secret that a rotation replaced
// meanwhile). write may complete the record (its UpdatedAt) before it
// stores it.
func change[T any](read func() (T, error), modify, write func(*T) error) (T, error) {
	for range maxChangeAttempts {
		v, err := read()
		if err != nil {
			return v, err
		}
		if err := modify(&v); err != nil {
			return v, err
		}
		if err := write(&v); !errors.Is(err, storage.ErrConflict) {
			return v, err
		}
	}
	var zero T
	return zero, errorf(CodeConflict, "the record kept changing while this request was applied; try again")
}

// changeTenant is change for the tenant of r's path.
func (s *Server) changeTenant(r *http.Request, modify func(*storage.Tenant) error) (storage.Tenant, error) {
	ctx := r.Context()
	return change(func() (storage.Tenant, error) { return s.tenant(ctx, r) }, modify, func(t *storage.Tenant) error {
		t.UpdatedAt = s.now()
		return storageError(s.cfg.Store.UpdateTenant(ctx, *t), "tenant")
	})
}

// changeClient is change for the client of r's path.
func (s *Server) changeClient(r *http.Request, modify func(*storage.Client) error) (storage.Client, error) {
	ctx := r.Context()
	return change(func() (storage.Client, error) { return s.client(r) }, modify, func(c *storage.Client) error {
		c.UpdatedAt = s.now()
		return storageError(s.cfg.Store.UpdateClient(ctx, *c), "client")
	})
}

// checkText validates a short human-readable string: UTF-8, at most max
// characters, and nothing that is invisible or reorders what is shown
// around it. A client_name from open registration is shown on the consent
// page, where "Evil\u202Eelgoog" (a right-to-left override) would read as
// another name (RFC 7591 §5: the server must not let self-asserted
// metadata mislead the user).
func checkText(field, v string, max int) error {
	switch {
	case !utf8.ValidString(v):
		return errorf(CodeInvalidRequest, "%s is not valid UTF-8", field)
	case utf8.RuneCountInString(v) > max:
		return errorf(CodeInvalidRequest, "%s is longer than %d characters", field, max)
	case strings.ContainsFunc(v, unicode.IsControl): // C0, DEL and C1
		return errorf(CodeInvalidRequest, "%s contains control characters", field)
	case strings.ContainsFunc(v, invisible):
		return errorf(CodeInvalidRequest, "%s contains invisible or direction-changing characters", field)
	}
	return nil
}

// invisible: the bidirectional controls (U+061C, U+200E-U+200F,
// U+202A-U+202E, U+2066-U+2069), the line and paragraph separators, and
// the other format characters (Unicode category Cf: zero-width spaces and
// joiners, the byte order mark, the tag characters).
func invisible(r rune) bool {
	return r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r)
}
