package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// adminClient calls the admin API (/admin/v1) of a Worker or a native
// server with the admin token. The admin CLI and seed share it.
type adminClient struct {
	base  string // scheme://host[:port][/prefix], no trailing slash
	token string
	// tokenFrom says where the token came from, for the message of a 401.
	tokenFrom string
	http      *http.Client
}

// maxAnswer bounds what is read of an answer. The largest is an audit page
// of 1,000 events.
const maxAnswer = 16 << 20

func newAdminClient(base, token, tokenFrom string) *adminClient {
	return &adminClient{base: strings.TrimSuffix(base, "/"), token: token, tokenFrom: tokenFrom, http: &http.Client{
		Timeout: 30 * time.Second,
		// A redirect would turn a POST into a GET, or carry the token to
		// another host: report it instead (see answerError).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// apiRequest is one admin API call.
type apiRequest struct {
	method string
	// path starts with /admin/v1/; its segments are escaped (apiPath).
	path  string
	query url.Values
	// body is sent as JSON: json.RawMessage as is, anything else
	// marshalled; nil sends no body.
	body any
}

// apiPath joins /admin/v1 and the segments, each escaped.
func apiPath(segments ...string) string {
	var b strings.Builder
	b.WriteString("/admin/v1")
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// do sends req and returns the body of a 2xx answer. Any other answer is
// an *apiError; a failure to reach the server an *unreachableError.
func (a *adminClient) do(ctx context.Context, req apiRequest) ([]byte, error) {
	u := a.base + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		b, ok := req.body.(json.RawMessage)
		if !ok {
			var err error
			if b, err = json.Marshal(req.body); err != nil {
				return nil, err
			}
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("Authorization", "Bearer "+a.token)
	hr.Header.Set("User-Agent", "edgeauth-cli")
	resp, err := a.http.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &unreachableError{base: a.base, err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, &unreachableError{base: a.base, err: err}
	}
	if resp.StatusCode/100 == 2 {
		return raw, nil
	}
	return nil, a.answerError(req, resp, raw)
}

// call is do for an answer that is JSON, decoded into v unless v is nil.
func (a *adminClient) call(ctx context.Context, req apiRequest, v any) ([]byte, error) {
	raw, err := a.do(ctx, req)
	if err != nil {
		return nil, err
	}
	bad := !json.Valid(raw)
	if v != nil && !bad {
		bad = json.Unmarshal(raw, v) != nil
	}
	if bad {
		return nil, fmt.Errorf("%s %s answered %d bytes that are not the admin API's JSON (is %s an edgeauth server?)", req.method, req.path, len(raw), a.base)
	}
	return raw, nil
}

// unreachableError is a request that got no HTTP answer.
type unreachableError struct {
	base string
	err  error
}

func (e *unreachableError) Error() string {
	cause := e.err
	var ue *url.Error
	if errors.As(cause, &ue) {
		cause = ue.Err // the URL is said once, below
	}
	return fmt.Sprintf("cannot reach the edgeauth server at %s: %v", e.base, cause)
}

func (e *unreachableError) Unwrap() error { return e.err }

// apiError is an answer other than 2xx. Its message is what the CLI
// prints: the common mistakes (a wrong token, an unknown tenant, a URL
// that is not an edgeauth server) are said in words.
type apiError struct {
	Status      int
	Code        string // the API's "error", if the answer had one
	Description string // its "error_description"
	msg         string
}

func (e *apiError) Error() string { return e.msg }

// answerError turns a non-2xx answer into an *apiError.
func (a *adminClient) answerError(req apiRequest, resp *http.Response, raw []byte) *apiError {
	e := &apiError{Status: resp.StatusCode}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	isAPI := json.Unmarshal(raw, &body) == nil && body.Error != ""
	e.Code, e.Description = body.Error, body.Description
	switch {
	case resp.StatusCode/100 == 3:
		e.msg = fmt.Sprintf("%s %s was redirected (%s) to %q: use the address the admin API answers at as the URL", req.method, a.base+req.path, resp.Status, resp.Header.Get("Location"))
	case !isAPI:
		e.msg = fmt.Sprintf("%s %s answered %s, not an admin API error (is %s an edgeauth server?)", req.method, req.path, resp.Status, a.base)
	case resp.StatusCode == http.StatusUnauthorized:
		e.msg = "the admin token was refused (check EDGEAUTH_ADMIN_TOKEN or your profile)"
		if a.tokenFrom != "" {
			e.msg += "; it came from " + a.tokenFrom
		}
	case resp.StatusCode == http.StatusNotFound && body.Error == "not_found":
		e.msg = notFoundMessage(req.path, body.Description, a.base)
	case resp.StatusCode == http.StatusTooManyRequests:
		e.msg = "too many admin requests from this address"
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			e.msg += fmt.Sprintf("; try again in %d s", s)
		}
	case resp.StatusCode/100 == 5:
		e.msg = fmt.Sprintf("the server failed (%s): %s: %s", resp.Status, body.Error, body.Description)
	default:
		e.msg = fmt.Sprintf("%s: %s", body.Error, body.Description)
	}
	return e
}

// alreadyExists says what a create found there already (the API says
// "client already exists"; the command knows which).
func alreadyExists(err error, what string) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == "already_exists" {
		ae.msg = what + " already exists"
	}
	return err
}

// pathNouns maps the collections of admin API paths to the nouns of the
// API's "<noun> not found" descriptions.
var pathNouns = map[string]string{"tenants": "tenant", "clients": "client", "users": "user", "keys": "key",
	"sessions": "session", "grants": "grant", "consents": "consent", "connections": "connection", "identities": "identity"}

// notFoundMessage names what was not found: the API says "client not
// found"; the path says which client of which tenant.
func notFoundMessage(path, desc, base string) string {
	noun, ok := strings.CutSuffix(desc, " not found")
	if !ok {
		// "no such endpoint": an older server, or not an edgeauth URL.
		return fmt.Sprintf("%s (%s%s): is the URL an edgeauth server with this admin API?", desc, base, path)
	}
	ids := map[string]string{}
	segs := strings.Split(strings.TrimPrefix(path, "/admin/v1/"), "/")
	for i := 0; i+1 < len(segs); i += 2 {
		if n, ok := pathNouns[segs[i]]; ok {
			id, err := url.PathUnescape(segs[i+1])
			if err != nil {
				id = segs[i+1]
			}
			ids[n] = id
		}
	}
	id, ok := ids[noun]
	if !ok {
		return desc
	}
	msg := fmt.Sprintf("%s %q not found", noun, id)
	switch user, ok := ids["user"]; {
	case noun == "consent" && ok:
		msg = fmt.Sprintf("user %q has no consent for client %q", user, id)
	case noun == "identity" && ok:
		msg = fmt.Sprintf("user %q has no linked account of connection %q (or there is no such user)", user, id)
	case noun == "session" || noun == "grant":
		// A session or grant that has ended is not found either.
		msg = fmt.Sprintf("%s %q of user %q not found (or no longer live)", noun, id, user)
	}
	if t, ok := ids["tenant"]; ok && noun != "tenant" {
		msg += fmt.Sprintf(" in tenant %q", t)
	}
	return msg
}
