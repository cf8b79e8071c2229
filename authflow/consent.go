package authflow

import (
	"errors"
	"net/http"
	"strings"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/pages"
	"github.com/edgeauth/edgeauth/storage"
)

// ConsentForm shows what the client asks for.
func (f *Flow) ConsentForm(w http.ResponseWriter, r *http.Request) error {
	fl, err := f.page(w, r)
	if err != nil {
		return err
	}
	if err := f.signedIn(fl); err != nil {
		return err
	}
	if f.needsLogin(fl) || fl.user == nil {
		return f.toPage(fl, "login") // (a deleted user signs in again)
	}
	page := pages.Consent{Title: "Allow access", TenantName: fl.t.Name, ClientName: clientLabel(fl.client), Username: fl.user.Username,
		Scopes: strings.Fields(fl.ar.Scope), Resources: fl.ar.Resources, Action: authz.IssuerPath(fl.t.ID) + "/consent", RequestID: fl.id, CSRF: fl.ar.CSRF,
		UserID: fl.user.ID, RedirectHost: uriHost(fl.ar.RedirectURI), Unverified: authz.SelfRegistered(fl.client)}
	if authz.IsURLClientID(fl.client.ID) {
		page.ClientHost = uriHost(fl.client.ID)
	}
	pages.Write(w, http.StatusOK, page.HTML())
	return nil
}

// Consent records the user's decision: approve stores the consent and
// issues the code; deny returns access_denied to the client.
func (f *Flow) Consent(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	fl, p, err := f.form(w, r)
	if err != nil {
		return err
	}
	t := fl.t
	if err := f.signedIn(fl); err != nil { // the user too: the code carries its claims
		return err
	}
	if f.needsLogin(fl) || fl.user == nil {
		return f.toPage(fl, "login") // (a deleted user signs in again)
	}
	if p.Get("user") != fl.sess.UserID {
		// The page was shown to another user (who has since signed out or
		// been replaced in this browser, in another tab): show it again.
		return f.toPage(fl, "consent")
	}
	switch p.Get("decision") {
	case "approve":
	case "deny":
		f.cfg.Audit.Record(ctx, t.ID, "consent.denied", fl.sess.UserID, fl.client.ID, nil)
		return f.az.RedirectError(w, r, &fl.ar.AuthRequest, authz.Errorf(authz.CodeAccessDenied, "the user denied the request"))
	default:
		return authz.Errorf(authz.CodeInvalidRequest, "decision must be approve or deny")
	}
	if err := f.az.StoreClient(ctx, fl.client); err != nil { // the consent refers to it
		return err
	}
	c := storage.Consent{TenantID: t.ID, UserID: fl.sess.UserID, ClientID: fl.client.ID, Scope: fl.ar.Scope,
		Resources: consentResources(fl.ar.Resources), GrantedAt: f.az.Now()}
	if old, err := f.cfg.Store.GetConsent(ctx, t.ID, fl.sess.UserID, fl.client.ID); err == nil {
		c.Scope = strings.Join(syntax.Dedupe(append(strings.Fields(old.Scope), strings.Fields(c.Scope)...)), " ")
		c.Resources = syntax.Dedupe(append(old.Resources, c.Resources...))
	}
	if err := f.cfg.Store.PutConsent(ctx, c); errors.Is(err, storage.ErrNotFound) {
		// The session's user (or the client) is gone; signing in again
		// shows which.
		return f.toPage(fl, "login")
	} else if err != nil {
		return err
	}
	f.cfg.Audit.Record(ctx, t.ID, "consent.granted", fl.sess.UserID, fl.client.ID, map[string]any{"scope": fl.ar.Scope, "resources": fl.ar.Resources})
	return f.issueCode(fl)
}
