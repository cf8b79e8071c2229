package authflow

import (
	"net/http"
	"time"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/device"
	"github.com/edgeauth/edgeauth/pages"
	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/storage"
)

// DeviceForm handles GET /device, the verification page of the device
// authorization grant (RFC 8628 §3.3):
//
//	/device                the form where the user types the user code
//	/device?user_code=...  the code typed there, or the device's
//	                       verification_uri_complete: looked up, then on to
//	                       sign-in (the login page) and approval
//	/device?req=...        the approval page of a pending device request
//
// A user code is looked up with a GET: nothing is stored until the user
// decides, and the request goes on sealed in the pages' URLs like an
// authorization request, bound to this browser.
func (f *Flow) DeviceForm(w http.ResponseWriter, r *http.Request) error {
	t, err := f.az.Tenant(r.Context(), r)
	if err != nil {
		return err
	}
	p, err := authz.QueryParams(r)
	if err != nil {
		return err
	}
	switch {
	case p.Has("req"):
		fl, err := f.resume(w, r, t, p.Get("req"))
		if err != nil {
			return err
		}
		return f.showDeviceApproval(fl)
	case p.Has("user_code"):
		return f.enterUserCode(w, r, t, p.Get("user_code"))
	}
	return f.showUserCodeForm(w, t, "", "")
}

// showUserCodeForm renders the form to type a user code, with what was
// typed and a message (both may be empty).
func (f *Flow) showUserCodeForm(w http.ResponseWriter, t storage.Tenant, typed, msg string) error {
	pages.Write(w, http.StatusOK, pages.DeviceCode{Title: "Connect a device", TenantName: t.Name, UserCode: typed, Message: msg,
		Action: authz.IssuerPath(t.ID) + "/device"}.HTML())
	return nil
}

// enterUserCode looks up a typed user code (each counts against
// ratelimit.LimitUserCode: RFC 8628 §5.1, a user code is short enough to
// guess) and starts the browser's way through sign-in and approval.
func (f *Flow) enterUserCode(w http.ResponseWriter, r *http.Request, t storage.Tenant, typed string) error {
	ctx := r.Context()
	if err := f.az.Limit(ctx, ratelimit.LimitUserCode, t.ID+"|"+f.az.ClientIP(r)); err != nil {
		return err
	}
	rec, client, ok, err := f.az.Device().Pending(ctx, t, typed)
	if err != nil {
		return err
	}
	if len(typed) > 32 {
		typed = "" // not a code: not worth showing again
	}
	if !ok {
		return f.showUserCodeForm(w, t, typed, "That code is not valid or has expired. Check the code your device shows.")
	}
	bid, err := f.browserID(w, r)
	if err != nil {
		return err
	}
	ar := &pending{AuthRequest: authz.AuthRequest{Tenant: t.ID, ClientID: client.ID, Scope: rec.Scope, Resources: rec.Resources, MaxAge: -1},
		UserCode: rec.UserCode, Browser: browserHash(bid)}
	if ar.CSRF, err = f.az.NewSecret(32); err != nil {
		return err
	}
	fl := &flow{w: w, r: r, t: t, client: client, ar: ar}
	if err := f.signedIn(fl); err != nil {
		return err
	}
	return f.proceed(fl)
}

// showDeviceApproval renders the approval page of a device's request:
// the client, the scopes and resources, and the user code to compare with
// the device's (RFC 8628 §5.4), for the signed-in user.
func (f *Flow) showDeviceApproval(fl *flow) error {
	if fl.ar.UserCode == "" {
		return errExpired() // an authorization request is consented on /consent
	}
	if err := f.signedIn(fl); err != nil {
		return err
	}
	if f.needsLogin(fl) || fl.user == nil {
		return f.toPage(fl, "login")
	}
	pages.Write(fl.w, http.StatusOK, pages.Consent{Title: "Connect a device", TenantName: fl.t.Name, ClientName: clientLabel(fl.client),
		Username: fl.user.Username, Scopes: scopeLines(fl.t, fl.ar.Scope), Resources: fl.ar.Resources,
		Action: authz.IssuerPath(fl.t.ID) + "/device", RequestID: fl.id, CSRF: fl.ar.CSRF, UserID: fl.user.ID,
		Unverified: authz.SelfRegistered(fl.client), LogoURI: fl.client.LogoURI, PolicyURI: fl.client.PolicyURI, TOSURI: fl.client.TOSURI,
		UserCode: device.Format(fl.ar.UserCode)}.HTML())
	return nil
}

// Device handles POST /device: the user's decision on the approval page.
// One guarded statement records it (authz.DeviceFlow.Decide); the device
// learns it at its next poll.
func (f *Flow) Device(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	fl, p, err := f.form(w, r)
	if err != nil {
		return err
	}
	if fl.ar.UserCode == "" {
		return errExpired()
	}
	if fl.sess, err = f.currentSession(r, fl.t.ID); err != nil {
		return err
	}
	if f.needsLogin(fl) {
		return f.toPage(fl, "login")
	}
	if p.Get("user") != fl.sess.UserID {
		return f.toPage(fl, "device") // shown to another user: show it again
	}
	var approve bool
	switch p.Get("decision") {
	case "approve":
		approve = true
	case "deny":
	default:
		return authz.Errorf(authz.CodeInvalidRequest, "decision must be approve or deny")
	}
	decided, err := f.az.Device().Decide(ctx, storage.DeviceDecision{TenantID: fl.t.ID, UserCode: fl.ar.UserCode, ClientID: fl.client.ID,
		Approve: approve, UserID: fl.sess.UserID, AuthTime: time.Unix(fl.sess.AuthTime, 0)})
	if err != nil {
		return err
	}
	notice := pages.Notice{Title: "Connect a device"}
	switch {
	case !decided:
		notice.Heading, notice.Error = "This request has ended", true
		notice.Message = "It expired or was already answered. Start again on your device."
	case approve:
		f.cfg.Audit.Record(ctx, fl.t.ID, "device.approved", fl.sess.UserID, fl.client.ID, map[string]any{"scope": fl.ar.Scope, "resources": fl.ar.Resources})
		notice.Heading, notice.Message = "Device connected", "You can close this window and go back to your device."
	default:
		f.cfg.Audit.Record(ctx, fl.t.ID, "device.denied", fl.sess.UserID, fl.client.ID, nil)
		notice.Heading, notice.Message = "Request denied", "The device gets no access. You can close this window."
	}
	pages.Write(w, http.StatusOK, notice.HTML())
	return nil
}
