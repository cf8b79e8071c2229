package authflow

import (
	"net/http"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/pages"
)

// pageMessage is the error page's message for a code whose description
// may carry the request's text (authz.Error.Formatted); the code is on the
// page too, and the JSON and redirected answers keep the description.
func pageMessage(code authz.ErrorCode) string {
	switch code {
	case authz.CodeInvalidClient:
		return "The application is not known here."
	case authz.CodeInvalidScope:
		return "The application asked for access it may not have."
	case authz.CodeInvalidTarget:
		return "The application asked for a resource this server does not serve."
	case authz.CodeUnsupportedRespType, authz.CodeUnauthorizedClient:
		return "The application asked for something this server does not allow it."
	default:
		return "The request is not valid."
	}
}

// WriteErrorPage renders err as the HTML error page: used where
// redirecting the error is not safe (unknown client, unregistered redirect
// URI, a self-registered client's error before sign-in) and on the login
// and consent pages. A code whose status is 401 is answered 400.
func (f *Flow) WriteErrorPage(w http.ResponseWriter, r *http.Request, err error) {
	e := authz.AsError(f.log, r, err)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", authz.RetryAfterHeader(e.RetryAfter))
	}
	msg := e.Description
	if e.Formatted {
		msg = pageMessage(e.Code)
	}
	st := authz.Status(e.Code)
	if st == http.StatusUnauthorized {
		// An unknown client is not HTTP authentication asked of the
		// browser, and a 401 would need a challenge (RFC 9110 §15.5.2).
		st = http.StatusBadRequest
	}
	pages.Write(w, st, pages.Error{Title: "Sign-in failed", Message: msg, Code: string(e.Code)}.HTML())
}
