package authz

import (
	"mime"
	"net/http"
	"net/url"
	"slices"
	"unicode/utf8"
)

// maxFormBody bounds a form-encoded request body (token, revoke, login...).
const maxFormBody = 64 << 10

// params are a request's parameters with the OAuth rule applied: each may
// appear at most once (RFC 6749 §3.1, §3.2), except those listed as
// multi-valued by the caller.
type params url.Values

// get returns the single value of name, or "".
func (p params) get(name string) string {
	if v := p[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// has reports whether name was sent with a value (an empty one counts as
// omitted: checkParams drops it).
func (p params) has(name string) bool { _, ok := p[name]; return ok }

// queryParams parses the query string of r.
func queryParams(r *http.Request, multi ...string) (params, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errorf(CodeInvalidRequest, "the query string is malformed")
	}
	return checkParams(v, multi)
}

// formParams parses an application/x-www-form-urlencoded body (RFC 6749
// §3.2: the token endpoint takes only this media type) and ignores the
// query string.
func formParams(w http.ResponseWriter, r *http.Request, multi ...string) (params, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errorf(CodeInvalidRequest, "the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	raw, err := readAll(r)
	if err != nil {
		return nil, err
	}
	v, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, errorf(CodeInvalidRequest, "the form body is malformed")
	}
	return checkParams(v, multi)
}

// authorizeParams reads the parameters of an authorization request: the
// query for GET, the form body for POST (RFC 6749 §3.1).
func authorizeParams(w http.ResponseWriter, r *http.Request) (params, error) {
	if r.Method == http.MethodPost {
		return formParams(w, r, "resource")
	}
	return queryParams(r, "resource")
}

// checkParams applies the rules for request parameters: one sent without
// a value is treated as omitted (RFC 6749 §3.1 and §3.2, OAuth 2.1 §3.1: a
// MUST), a single-valued one may appear at most once, and every value is
// valid UTF-8.
func checkParams(v url.Values, multi []string) (params, error) {
	for name, vals := range v {
		vals = slices.DeleteFunc(vals, func(s string) bool { return s == "" })
		if len(vals) == 0 {
			delete(v, name)
			continue
		}
		v[name] = vals
		if len(vals) > 1 && !slices.Contains(multi, name) {
			return nil, errorf(CodeInvalidRequest, "parameter %q is repeated", name)
		}
		for _, s := range vals {
			if !utf8.ValidString(s) {
				return nil, errorf(CodeInvalidRequest, "parameter %q is not valid UTF-8", name)
			}
		}
	}
	return params(v), nil
}
