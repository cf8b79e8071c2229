package authflow

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/pages"
	"github.com/edgeauth/edgeauth/password"
	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/verify"
)

// LoginForm shows the sign-in form of a pending request.
func (f *Flow) LoginForm(w http.ResponseWriter, r *http.Request) error {
	fl, err := f.page(w, r)
	if err != nil {
		return err
	}
	return f.showLogin(fl, http.StatusOK, "", "")
}

// showLogin renders the sign-in page with the username typed so far and a
// message (both may be empty): the password form, unless the tenant turned
// it off, and a button per upstream connection.
func (f *Flow) showLogin(fl *flow, code int, username, msg string) error {
	ups, noPassword, err := f.loginChoices(fl.ctx(), fl.t)
	if err != nil {
		return err
	}
	pages.Write(fl.w, code, pages.Login{
		Title: "Sign in", TenantName: fl.t.Name, ClientName: clientLabel(fl.client), Message: msg, Username: username,
		Action: authz.IssuerPath(fl.t.ID) + "/login", RequestID: fl.id, CSRF: fl.ar.CSRF,
		Upstreams: ups, UpstreamAction: authz.IssuerPath(fl.t.ID) + "/upstream", NoPassword: noPassword,
	}.HTML())
	return nil
}

// Login checks the username and password. A wrong password and an unknown
// user get the same answer, after the same amount of hashing.
func (f *Flow) Login(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	fl, p, err := f.form(w, r)
	if err != nil {
		return err
	}
	t := fl.t
	if t.Settings.PasswordLogin == "off" {
		return f.showLogin(fl, http.StatusBadRequest, "", "Signing in with a password is turned off here.")
	}
	username, pw := strings.TrimSpace(p.Get("username")), p.Get("password")
	if err := f.az.Limit(ctx, ratelimit.LimitLoginIP, t.ID+"|"+f.az.ClientIP(r)); err != nil {
		return err
	}
	if err := f.az.Limit(ctx, ratelimit.LimitLoginUser, t.ID+"|"+username); err != nil {
		return err
	}
	if username == "" || len(username) > 256 {
		return f.showLogin(fl, http.StatusOK, "", "Wrong username or password.")
	}
	// The user and the streaks in one read: all are needed before the
	// password is checked.
	source := f.az.ClientIP(r)
	state, err := f.cfg.Store.GetLoginState(ctx, t.ID, username, source)
	if err != nil {
		return err
	}
	lockedOut := func(locked time.Duration) error {
		f.countFailure(ctx, t.ID, "login.locked", source)
		w.Header().Set("Retry-After", strconv.Itoa(int(locked.Round(time.Second)/time.Second)))
		return f.showLogin(fl, http.StatusTooManyRequests, username, "Too many failed sign-ins. Try again in "+roundUp(locked)+".")
	}
	now := f.az.Now()
	if locked := max(perAddress.lockedFor(state.Failures, now), everywhere.lockedFor(state.AllFailures, now)); locked > 0 {
		return lockedOut(locked)
	}
	// The attempt counts as a failure before the password is checked, in
	// one atomic upsert, and a correct password ends the streaks. So
	// concurrent guesses each take their own place in the streaks: one whose
	// place comes after failures this request did not see (others, just
	// now) is refused unchecked if they lock the username. Checking the
	// streaks read above and counting only afterwards would let a burst of
	// guesses all pass the check.
	streaks, err := f.cfg.Store.RecordLoginFailure(ctx, storage.LoginAttempt{TenantID: t.ID, Username: username, Source: source, At: now, Window: LockoutWindow})
	if err != nil {
		return err
	}
	if locked := max(perAddress.unseen(seenCount(state.Failures, now), streaks.Source.Count),
		everywhere.unseen(seenCount(state.AllFailures, now), streaks.All.Count)); locked > 0 {
		return lockedOut(locked)
	}
	var user storage.User
	if state.User != nil {
		user = *state.User
	}
	ok, err := f.cfg.Passwords.Check(user.PasswordHash, pw) // no hash: equal work for unknown users
	if err != nil {
		return err
	}
	if !ok || user.ID == "" || len(pw) > password.MaxLen {
		f.countFailure(ctx, t.ID, "login.failed", source)
		return f.showLogin(fl, http.StatusOK, username, "Wrong username or password.")
	}
	if err := f.cfg.Store.ResetLoginFailures(ctx, t.ID, username); err != nil {
		return err
	}
	if user.Disabled {
		// Said only after the right password, as Keycloak does: before it,
		// a disabled user is answered like any other (no account's state
		// leaks to a guesser), and the right password was a sign-in, not
		// a guess, so the streaks end as for any right password.
		f.cfg.Audit.Record(ctx, t.ID, "login.refused", user.ID, fl.client.ID, map[string]any{"reason": "disabled"})
		return f.showLogin(fl, http.StatusForbidden, username, "This account is disabled. Ask your administrator.")
	}
	if fl.sess, err = f.startSession(ctx, w, t.ID, user.ID); err != nil {
		return err
	}
	fl.user = &user
	f.cfg.Audit.Record(ctx, t.ID, "login.succeeded", user.ID, fl.client.ID, nil)
	return f.proceed(fl)
}

// countFailure counts a failed or refused sign-in in the audit log: per
// client address and hour (audit.Log.Count), since anyone may send them,
// and without the username typed (people type their password into that
// field, and the audit log keeps no secret).
func (f *Flow) countFailure(ctx context.Context, tenant, event, source string) {
	f.cfg.Audit.Count(ctx, f.cfg.Audit.Event(tenant, event, "", "", nil), source)
}

// clientLabel is how the pages name a client.
func clientLabel(c storage.Client) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// uriHost is the host of an http or https URI, for people to read; a
// private-use scheme's URI (an app on the device, RFC 8252 §7.1) reads as
// its scheme ("com.example.app:"), which names the app; "" otherwise.
func uriHost(uri string) string {
	u, err := url.Parse(uri)
	switch {
	case err != nil || u.Scheme == "":
		return ""
	case u.Scheme != "https" && u.Scheme != "http":
		return u.Scheme + ":"
	}
	return u.Hostname()
}

// consentResources are the resources a consent for a request of
// resources is given for: "" for none asked (the tenant's default
// audience).
func consentResources(resources []string) []string {
	if len(resources) == 0 {
		return []string{""}
	}
	return resources
}

// coversResources reports whether every resource of requested is among
// granted, up to the form of a URL (verify.HasResource).
func coversResources(granted, requested []string) bool {
	for _, r := range requested {
		if !slices.Contains(granted, r) && (r == "" || !verify.HasResource(granted, r)) {
			return false
		}
	}
	return true
}

// coversScope reports whether the granted scope string has every scope of
// requested.
func coversScope(granted, requested string) bool {
	have := strings.Fields(granted)
	for _, sc := range strings.Fields(requested) {
		if !slices.Contains(have, sc) {
			return false
		}
	}
	return true
}
