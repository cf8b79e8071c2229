package authflow

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/storage"
)

// pendingTTL is how long a pending authorization request waits for the
// user to sign in and decide.
const pendingTTL = 10 * time.Minute

// pending is a validated authorization request waiting for login or
// consent. It travels sealed (seal.go) as the pages' "req" parameter.
type pending struct {
	authz.AuthRequest
	// LoginAfter and SessionBefore: the request asked for a new sign-in
	// (prompt=login, max_age=0). Only a session signed in at or after the
	// Unix time LoginAfter, and other than the one the browser had when
	// the request came (SessionBefore, its handle; "" for none), satisfies
	// it: a sign-in of the same second as the request but before it does
	// not.
	LoginAfter    int64  `json:"la,omitempty"`
	SessionBefore string `json:"sb,omitempty"`
	// UserCode, for a device's request (RFC 8628), is its user code
	// (normalised): the request goes to the device approval page, never
	// to the consent page or a redirect URI.
	UserCode string `json:"uc,omitempty"`
	CSRF     string `json:"csrf"`
	Browser  string `json:"b"` // hex SHA-256 of the browser-binding cookie
	// Expires: Unix time after which the request is refused.
	Expires int64 `json:"exp"`
}

// sealPending seals ar, to expire pendingTTL from now, as the id the pages
// refer to it by.
func (f *Flow) sealPending(ar *pending) (string, error) {
	ar.Expires = f.az.Now().Add(pendingTTL).Unix()
	return f.box.seal(ar.Tenant, ar)
}

// errExpired is the one answer to a pending request that cannot go on:
// the user starts again from the application.
func errExpired() error {
	return authz.Errorf(authz.CodeInvalidRequest, "this sign-in request has expired or is not valid")
}

// resume opens the pending request sealed in id for the page request r,
// after checking that this browser started it, into a flow.
func (f *Flow) resume(w http.ResponseWriter, r *http.Request, t storage.Tenant, id string) (*flow, error) {
	var ar pending
	if err := f.box.open(t.ID, id, &ar); err != nil {
		return nil, errExpired()
	}
	return f.resumePending(w, r, t, &ar, id)
}

// resumePending is resume of a pending request already opened, ar, whose
// id is id.
func (f *Flow) resumePending(w http.ResponseWriter, r *http.Request, t storage.Tenant, ar *pending, id string) (*flow, error) {
	ctx := r.Context()
	bid := f.cookie(r, browserCookie)
	if f.az.Now().Unix() >= ar.Expires || ar.Tenant != t.ID || bid == "" ||
		subtle.ConstantTimeCompare([]byte(browserHash(bid)), []byte(ar.Browser)) != 1 {
		return nil, errExpired()
	}
	client, err := f.az.LookupClient(ctx, t, ar.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errExpired()
	} else if err != nil {
		return nil, err
	}
	return &flow{w: w, r: r, t: t, client: client, ar: ar, id: id}, nil
}

// page resumes the flow of a page shown with GET: the tenant and the
// pending request named by the "req" query parameter.
func (f *Flow) page(w http.ResponseWriter, r *http.Request) (*flow, error) {
	t, err := f.az.Tenant(r.Context(), r)
	if err != nil {
		return nil, err
	}
	p, err := authz.QueryParams(r)
	if err != nil {
		return nil, err
	}
	return f.resume(w, r, t, p.Get("req"))
}

// form resumes the flow of a form posted by the login or consent page,
// after checking the browser binding and the CSRF field, and returns the
// form's parameters.
func (f *Flow) form(w http.ResponseWriter, r *http.Request) (*flow, authz.Params, error) {
	t, err := f.az.Tenant(r.Context(), r)
	if err != nil {
		return nil, nil, err
	}
	p, err := authz.FormParams(w, r)
	if err != nil {
		return nil, nil, err
	}
	fl, err := f.resume(w, r, t, p.Get("req"))
	if err != nil {
		return nil, nil, err
	}
	// Together with the SameSite=Lax browser cookie, the CSRF field makes
	// every form post come from our own page in the same browser.
	if subtle.ConstantTimeCompare([]byte(p.Get("csrf")), []byte(fl.ar.CSRF)) != 1 {
		return nil, nil, authz.Errorf(authz.CodeInvalidRequest, "the form has expired; start again from the application")
	}
	return fl, p, nil
}
