package authflow

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/internal/kvrecord"
	"github.com/edgeauth/edgeauth/storage"
)

// pendingTTL is how long a pending authorization request waits for the
// user to sign in and decide.
const pendingTTL = 10 * time.Minute

// pending is a validated authorization request waiting for login or
// consent, kept in KV and referred to by its id from the pages.
type pending struct {
	authz.AuthRequest
	// LoginAfter: only a session signed in at or after this Unix time
	// satisfies the request (prompt=login, max_age=0); 0 for any.
	LoginAfter int64  `json:"la,omitempty"`
	CSRF       string `json:"csrf"`
	Browser    string `json:"b"` // hex SHA-256 of the browser-binding cookie
	// Expires: Unix time after which the request is refused whatever KV
	// still returns (KV's own expiry is the record's TTL, not a promise).
	Expires int64 `json:"exp,omitempty"`
}

// storePending stores ar and returns its id.
func (f *Flow) storePending(ctx context.Context, ar *pending) (string, error) {
	id, err := f.az.NewSecret(32)
	if err != nil {
		return "", err
	}
	ar.Expires = f.az.Now().Add(pendingTTL).Unix()
	if err := kvrecord.Put(ctx, f.cfg.KV, "ar", id, ar, pendingTTL); err != nil {
		return "", err
	}
	return id, nil
}

// forgetPending deletes a pending request that has served its purpose; a
// failure is logged, since the record also expires by itself.
func (f *Flow) forgetPending(ctx context.Context, id string) {
	if err := kvrecord.Delete(ctx, f.cfg.KV, "ar", id); err != nil {
		f.log.WarnContext(ctx, "kv delete failed", "kind", "ar", "err", err)
	}
}

// errExpired is the one answer to a pending request that cannot go on:
// the user starts again from the application.
func errExpired() error {
	return authz.Errorf(authz.CodeInvalidRequest, "this sign-in request has expired or is not valid")
}

// resume loads the pending request named by id for the page request r,
// after checking that this browser started it, into a flow.
func (f *Flow) resume(w http.ResponseWriter, r *http.Request, t storage.Tenant, id string) (*flow, error) {
	ctx := r.Context()
	if len(id) != 43 {
		return nil, errExpired()
	}
	var ar pending
	switch err := kvrecord.Get(ctx, f.cfg.KV, "ar", id, &ar); {
	case errors.Is(err, storage.ErrNotFound):
		return nil, errExpired()
	case err != nil:
		return nil, err
	}
	bid := f.cookie(r, browserCookie)
	if ar.Expires != 0 && f.az.Now().Unix() >= ar.Expires || ar.Tenant != t.ID || bid == "" ||
		subtle.ConstantTimeCompare([]byte(browserHash(bid)), []byte(ar.Browser)) != 1 {
		return nil, errExpired()
	}
	client, err := f.cfg.Store.GetClient(ctx, t.ID, ar.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errExpired()
	} else if err != nil {
		return nil, err
	}
	return &flow{w: w, r: r, t: t, client: client, ar: &ar, id: id}, nil
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
