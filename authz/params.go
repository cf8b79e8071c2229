package authz

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxFormBody bounds a form-encoded request body (token, revoke, login...).
const maxFormBody = 64 << 10

// Params are a request's parameters with the OAuth rule applied: each may
// appear at most once (RFC 6749 §3.1, §3.2), except those listed as
// multi-valued by the caller.
type Params url.Values

// Get returns the single value of name, or "".
func (p Params) Get(name string) string {
	if v := p[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Has reports whether name was sent with a value (an empty one counts as
// omitted: checkParams drops it).
func (p Params) Has(name string) bool { _, ok := p[name]; return ok }

// QueryParams parses the query string of r.
func QueryParams(r *http.Request, multi ...string) (Params, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, Errorf(CodeInvalidRequest, "the query string is malformed")
	}
	return checkParams(v, multi)
}

// FormParams parses an application/x-www-form-urlencoded body (RFC 6749
// §3.2: the token endpoint takes only this media type) and ignores the
// query string.
func FormParams(w http.ResponseWriter, r *http.Request, multi ...string) (Params, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, Errorf(CodeInvalidRequest, "the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	raw, err := readAll(r)
	if err != nil {
		return nil, err
	}
	v, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, Errorf(CodeInvalidRequest, "the form body is malformed")
	}
	return checkParams(v, multi)
}

// AuthorizeParams reads the parameters of an authorization request: the
// query for GET, the form body for POST (RFC 6749 §3.1).
func AuthorizeParams(w http.ResponseWriter, r *http.Request) (Params, error) {
	if r.Method == http.MethodPost {
		return FormParams(w, r, "resource")
	}
	return QueryParams(r, "resource")
}

// checkParams applies the rules for request parameters: one sent without
// a value is treated as omitted (RFC 6749 §3.1 and §3.2, OAuth 2.1 §3.1: a
// MUST), a single-valued one may appear at most once, and every value is
// valid UTF-8.
func checkParams(v url.Values, multi []string) (Params, error) {
	for name, vals := range v {
		vals = slices.DeleteFunc(vals, func(s string) bool { return s == "" })
		if len(vals) == 0 {
			delete(v, name)
			continue
		}
		v[name] = vals
		if len(vals) > 1 && !slices.Contains(multi, name) {
			return nil, Errorf(CodeInvalidRequest, "parameter %q is repeated", name)
		}
		for _, s := range vals {
			if !utf8.ValidString(s) {
				return nil, Errorf(CodeInvalidRequest, "parameter %q is not valid UTF-8", name)
			}
		}
	}
	return Params(v), nil
}

// MaxJSONBody bounds a JSON request body. Client metadata with twenty
// long redirect URIs fits comfortably.
const MaxJSONBody = 64 << 10

// BearerToken returns the token of an "Authorization: Bearer" header. The
// scheme is case-insensitive (RFC 9110 §11.1).
func BearerToken(r *http.Request) (string, bool) {
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

// DecodeJSON reads one JSON object from the body into v: the media type
// must be application/json, the body at most MaxJSONBody bytes of valid
// UTF-8, trailing data is an error, and a wrong-typed field is named in
// the error. Unknown fields are an error when strict (the admin API);
// RFC 7591 §2 has registration ignore what it does not know.
func DecodeJSON(r *http.Request, v any, strict bool) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return Errorf(CodeUnsupportedMediaType, "the body must be application/json")
	}
	r.Body = http.MaxBytesReader(nil, r.Body, MaxJSONBody)
	body, err := readAll(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return Errorf(CodeInvalidRequest, "the body is empty; a JSON object is required")
	}
	if !utf8.Valid(body) {
		return Errorf(CodeInvalidRequest, "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(CodeInvalidRequest, "unexpected data after the JSON object")
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
		return nil, Errorf(CodeRequestTooLarge, "the body is larger than %d bytes", tooLarge.Limit)
	case err != nil:
		return nil, Errorf(CodeInvalidRequest, "the body could not be read")
	}
	return body, nil
}

// jsonError describes a decoding failure without echoing the body.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return Errorf(CodeInvalidRequest, "malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return Errorf(CodeInvalidRequest, "the body must be a JSON object")
		}
		return Errorf(CodeInvalidRequest, "field %q must be %s", typ.Field, jsonTypeName(typ.Type.Kind().String()))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(CodeInvalidRequest, "truncated JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return Errorf(CodeInvalidRequest, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return Errorf(CodeInvalidRequest, "the body is not a valid JSON object")
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
