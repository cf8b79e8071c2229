package authflow

import (
	"errors"
	"net/http"
	"slices"
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
	if fl.ar.UserCode != "" {
		return errExpired() // a device's request is approved on the device page
	}
	if err := f.signedIn(fl); err != nil {
		return err
	}
	if f.needsLogin(fl) || fl.user == nil {
		return f.toPage(fl, "login") // (a deleted user signs in again)
	}
	page := pages.Consent{Title: "Allow access", TenantName: fl.t.Name, ClientName: clientLabel(fl.client), Username: fl.user.Username,
		Scopes: scopeLines(fl.t, fl.ar.Scope), Resources: fl.ar.Resources, Action: authz.IssuerPath(fl.t.ID) + "/consent", RequestID: fl.id, CSRF: fl.ar.CSRF,
		UserID: fl.user.ID, RedirectHost: uriHost(fl.ar.RedirectURI), Unverified: authz.SelfRegistered(fl.client),
		LogoURI: fl.client.LogoURI, PolicyURI: fl.client.PolicyURI, TOSURI: fl.client.TOSURI}
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
	if fl.ar.UserCode != "" {
		return errExpired()
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
		c.Scope, c.Resources = mergeConsent(old, c)
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

// mergeConsent is what a consent remembers after the user approved now
// (its scope and resources) with old on record. A consent covers each of
// its scopes at each of its resources (flow.go: needsConsent), so two
// approvals are joined only where that adds no pair the user did not
// approve: scopes for the same resources, or resources for the same
// scopes. Otherwise the newer approval replaces the older, which is asked
// again when it is needed: a consent never grows past what was approved.
func mergeConsent(old, now storage.Consent) (scope string, resources []string) {
	oldScope, nowScope := strings.Fields(old.Scope), strings.Fields(now.Scope)
	sameResources := coversResources(old.Resources, now.Resources) && coversResources(now.Resources, old.Resources)
	sameScopes := coversScope(old.Scope, now.Scope) && coversScope(now.Scope, old.Scope)
	switch {
	case sameResources:
		return strings.Join(syntax.Dedupe(append(oldScope, nowScope...)), " "), now.Resources
	case sameScopes:
		return now.Scope, syntax.Dedupe(append(slices.Clone(old.Resources), now.Resources...))
	case coversScope(old.Scope, now.Scope) && coversResources(old.Resources, now.Resources):
		return old.Scope, old.Resources // the older covers the newer
	}
	return now.Scope, now.Resources
}

// oidcScopeText says what the OpenID Connect scopes allow, for the scopes
// the tenant does not describe itself.
var oidcScopeText = map[string]string{
	"openid":  "Know who you are",
	"profile": "See your username",
	"email":   "See your email address",
}

// scopeLines are the scopes of scope as the consent page lists them: each
// with the tenant's description (settings.scope_descriptions), else the
// text of an OpenID Connect scope, else none (the page shows the name).
func scopeLines(t storage.Tenant, scope string) []pages.Scope {
	var out []pages.Scope
	for _, sc := range strings.Fields(scope) {
		d, ok := t.Settings.ScopeDescriptions[sc]
		if !ok {
			d = oidcScopeText[sc]
		}
		out = append(out, pages.Scope{Name: sc, Description: d})
	}
	return out
}
