package authz

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// ErrorCode is an error code sent in the "error" member of a JSON error
// body: an OAuth code (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2) or one
// of the admin API's own.
type ErrorCode string

// Error codes.
const (
	CodeInvalidRequest        ErrorCode = "invalid_request"
	CodeInvalidClient         ErrorCode = "invalid_client"
	CodeInvalidGrant          ErrorCode = "invalid_grant"
	CodeUnauthorizedClient    ErrorCode = "unauthorized_client"
	CodeUnsupportedGrantType  ErrorCode = "unsupported_grant_type"
	CodeUnsupportedRespType   ErrorCode = "unsupported_response_type"
	CodeUnsupportedTokenType  ErrorCode = "unsupported_token_type"
	CodeInvalidScope          ErrorCode = "invalid_scope"
	CodeInvalidTarget         ErrorCode = "invalid_target"
	CodeAccessDenied          ErrorCode = "access_denied"
	CodeLoginRequired         ErrorCode = "login_required"
	CodeConsentRequired       ErrorCode = "consent_required"
	CodeRequestNotSupported   ErrorCode = "request_not_supported"     // OIDC Core §6.1
	CodeRequestURINotSupp     ErrorCode = "request_uri_not_supported" // OIDC Core §6.2
	CodeInsufficientScope     ErrorCode = "insufficient_scope"
	CodeTooManyRequests       ErrorCode = "too_many_requests"
	CodeInvalidToken          ErrorCode = "invalid_token"
	CodeInvalidClientMetadata ErrorCode = "invalid_client_metadata"
	CodeInvalidRedirectURI    ErrorCode = "invalid_redirect_uri"
	CodeNotFound              ErrorCode = "not_found"
	CodeAlreadyExists         ErrorCode = "already_exists"
	CodeConflict              ErrorCode = "conflict"
	CodeMethodNotAllowed      ErrorCode = "method_not_allowed"
	CodeRequestTooLarge       ErrorCode = "request_too_large"
	CodeUnsupportedMediaType  ErrorCode = "unsupported_media_type"
	CodeServerError           ErrorCode = "server_error"
	CodeTemporarilyUnavail    ErrorCode = "temporarily_unavailable"
	CodeAuthorizationPending  ErrorCode = "authorization_pending" // RFC 8628 §3.5
	CodeSlowDown              ErrorCode = "slow_down"             // RFC 8628 §3.5
	CodeExpiredToken          ErrorCode = "expired_token"         // RFC 8628 §3.5
)

// Error is the one error type handlers return. Code and Description are
// sent to the client; Err is logged and never sent.
type Error struct {
	Code        ErrorCode
	Description string
	Err         error
	// WWWAuthenticate, when set, is sent as the WWW-Authenticate header.
	WWWAuthenticate string
	// Allow, when set, is sent as the Allow header (405 answers).
	Allow string
	// RetryAfter, when set, is sent as Retry-After (429 answers).
	RetryAfter time.Duration
	// TokenEndpoint: the error is a token endpoint's (RFC 6749 §5.2),
	// answered 400 whatever its code but invalid_client (HTTPStatus).
	TokenEndpoint bool
	// Formatted: Description was formatted from values, which may be the
	// request's own text. The HTML error page shows such a description
	// only as its code's fixed message, so that nobody can make this
	// server's page say what they wrote into a link (writeErrorPage).
	Formatted bool
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("authz: %s: %s: %v", e.Code, e.Description, e.Err)
	}
	return fmt.Sprintf("authz: %s: %s", e.Code, e.Description)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a fresh *Error with a formatted description.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...), Formatted: len(args) > 0}
}

// recode is err under another code: an *Error keeps its description, any
// other error becomes one with err's text as the description (the
// package's own validators return plain errors: internal/syntax).
func recode(err error, code ErrorCode) *Error {
	var e *Error
	if !errors.As(err, &e) {
		return &Error{Code: code, Description: err.Error(), Formatted: true}
	}
	c := *e
	c.Code = code
	return &c
}

// Status maps an error code to its HTTP status. It is the only place that
// does, but for the HTML error page, which answers 400 where this says 401
// (authflow).
func Status(code ErrorCode) int {
	switch code {
	case CodeInvalidToken, CodeInvalidClient:
		return http.StatusUnauthorized
	case CodeInsufficientScope, CodeAccessDenied:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeAlreadyExists, CodeConflict:
		return http.StatusConflict
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodeRequestTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case CodeTooManyRequests:
		return http.StatusTooManyRequests
	case CodeServerError:
		return http.StatusInternalServerError
	case CodeTemporarilyUnavail:
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}

// HTTPStatus is the status e is answered with: Status of its code, except
// that a token endpoint's error is 400 unless it is invalid_client, 401,
// or a limit's 429 or the server's 5xx (RFC 6749 §5.2: 400 unless
// specified otherwise; RFC 8628 §3.5 answers access_denied so, which is
// 403 elsewhere).
func (e *Error) HTTPStatus() int {
	st := Status(e.Code)
	if e.TokenEndpoint && st != http.StatusUnauthorized && st != http.StatusTooManyRequests && st < 500 {
		return http.StatusBadRequest
	}
	return st
}

// StorageError turns a storage sentinel into the client-facing error that
// belongs to it; what is the server's fault stays server_error.
func StorageError(err error, what string) error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return &Error{Code: CodeNotFound, Description: what + " not found", Err: err}
	case errors.Is(err, storage.ErrAlreadyExists):
		return &Error{Code: CodeAlreadyExists, Description: what + " already exists", Err: err}
	default:
		return err
	}
}

// AsError returns err as an *Error, logging what the answer will not say.
// Anything else becomes server_error; its cause is logged, never sent.
func AsError(log *slog.Logger, r *http.Request, err error) *Error {
	var e *Error
	// The route, never the path: a path is whatever the request sent.
	if !errors.As(err, &e) {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", r.Pattern, "err", err)
		return &Error{Code: CodeServerError, Description: "the server could not complete the request"}
	}
	if e.Err != nil || e.Code == CodeServerError {
		log.WarnContext(r.Context(), "request error", "method", r.Method, "route", r.Pattern, "code", string(e.Code), "err", e.Err)
	}
	return e
}

// WriteError renders err as a JSON error body (RFC 6749 §5.2), with
// Cache-Control: no-store and Pragma: no-cache.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := AsError(s.log, r, err)
	h := w.Header()
	switch {
	case e.WWWAuthenticate != "":
		h.Set("WWW-Authenticate", e.WWWAuthenticate)
	case e.Code == CodeInvalidClient:
		// A 401 MUST carry a challenge (RFC 9110 §15.5.2), Basic when the
		// client used it (RFC 6749 §5.2): Basic whatever it tried. Only the
		// tenant's back-channel endpoints answer invalid_client as JSON.
		h.Set("WWW-Authenticate", `Basic realm="`+s.Issuer(r.PathValue("tenant"))+`", charset="UTF-8"`)
	}
	if e.Allow != "" {
		h.Set("Allow", e.Allow)
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", RetryAfterHeader(e.RetryAfter))
	}
	// RFC 6749 §5.2: an error answer carries the cache headers of a token
	// answer (§5.1): Cache-Control: no-store (WriteJSON) and Pragma:
	// no-cache, for HTTP/1.0 caches.
	h.Set("Pragma", "no-cache")
	body := struct {
		Error       ErrorCode `json:"error"`
		Description string    `json:"error_description,omitempty"`
	}{e.Code, e.Description}
	WriteJSON(w, e.HTTPStatus(), body)
}

// RetryAfterHeader is the Retry-After value of d, in whole seconds rounded
// up.
func RetryAfterHeader(d time.Duration) string {
	return strconv.Itoa(int((d + time.Second - 1) / time.Second))
}

// document is a public document already encoded (the JWKS, the discovery
// documents), as the record cache keeps it. until is how long the record
// cache will keep answering it (zero: it does not keep it).
type document struct {
	contentType, cacheControl string
	body                      []byte
	until                     time.Time
}

// writeDocument answers 200 with d, readable from any origin: a
// browser-based client fetches discovery and keys cross-origin, and the
// documents hold nothing that is not public (no credentials are allowed,
// and none are needed).
//
// A runtime that can answer the same GET again without the handler (a
// reuser) is told until when it may, unless every request is logged
// (debug level): a reused answer reaches no log.
func (s *Server) writeDocument(w http.ResponseWriter, r *http.Request, d document) {
	h := w.Header()
	h.Set("Content-Type", d.contentType)
	h.Set("Cache-Control", d.cacheControl)
	anyOrigin(w)
	if !d.until.IsZero() && !s.log.Enabled(r.Context(), slog.LevelDebug) {
		if r := findReuser(w); r != nil {
			r.ReuseUntil(d.until)
		}
	}
	w.WriteHeader(http.StatusOK)
	w.Write(d.body)
}

// A reuser is a ResponseWriter whose runtime can answer the same GET
// request (same URL) again, without calling the handler, until a time:
// the Worker's pool (cfworker) keeps such answers for the isolate, and drops them when the
// isolate's cache generation changes, like the record cache. Only answers
// that depend on nothing but the URL and the records the cache keeps may
// ask for it.
type reuser interface{ ReuseUntil(time.Time) }

// findReuser returns the reuser under w's wrappers, or nil.
func findReuser(w http.ResponseWriter) reuser {
	for {
		if r, ok := w.(reuser); ok {
			return r
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
}

// WriteJSON writes v as JSON with the given status. Every JSON answer of
// the server carries Cache-Control: no-store unless the caller set one.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types are marshalled; this is a programming error.
		code = http.StatusInternalServerError
		b = []byte(`{"error":"server_error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// HandlerFunc is a handler that returns its error for one writer to
// render: WriteError as JSON, or the browser flow's HTML error page.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error
