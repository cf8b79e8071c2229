package admin

import (
	"net/http"
	"strings"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/storage"
)

// Access serves what a user has handed out, under
// /admin/v1/tenants/{tenant}/users/{user}: its browser sessions, its
// grants (refresh families: what a client may still do for it) and its
// consents, each listed and revoked one by one or all at once, and the
// user disabled or enabled. Every revocation is one atomic statement or
// batch (storage), takes effect at once at every location (sessions and
// grants are decided in SQL), and is audited. Get it with API.Access.
type Access struct{ api *API }

// Access returns the handlers of a user's sessions, grants and consents.
func (a *API) Access() *Access { return &Access{api: a} }

// user loads the tenant and the user of r's path: 404 for either missing.
func (ac *Access) user(r *http.Request) (storage.Tenant, storage.User, error) {
	t, err := ac.api.tenant(r)
	if err != nil {
		return t, storage.User{}, err
	}
	u, err := ac.api.cfg.Store.GetUser(r.Context(), t.ID, r.PathValue("user"))
	if err != nil {
		return t, u, authz.StorageError(err, "user")
	}
	return t, u, nil
}

func (ac *Access) record(r *http.Request, tenant, event, subject string, detail map[string]any) {
	ac.api.cfg.Audit.Record(r.Context(), tenant, event, "admin", subject, detail)
}

// DisableUser disables the user of r's path: its sign-in is refused, and
// its sessions and grants are revoked in the same batch as the flag.
func (ac *Access) DisableUser(w http.ResponseWriter, r *http.Request) error {
	return ac.setDisabled(w, r, true)
}

// EnableUser lets a disabled user sign in again; what disabling revoked
// stays revoked.
func (ac *Access) EnableUser(w http.ResponseWriter, r *http.Request) error {
	return ac.setDisabled(w, r, false)
}

func (ac *Access) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	t, u, err := ac.user(r)
	if err != nil {
		return err
	}
	if err := ac.api.cfg.Store.SetUserDisabled(r.Context(), t.ID, u.ID, disabled, ac.api.az.Now()); err != nil {
		return authz.StorageError(err, "user")
	}
	if u, err = ac.api.cfg.Store.GetUser(r.Context(), t.ID, u.ID); err != nil {
		return authz.StorageError(err, "user")
	}
	event := "user.enabled"
	if disabled {
		event = "user.disabled"
	}
	ac.record(r, t.ID, event, u.ID, nil)
	authz.WriteJSON(w, http.StatusOK, newUserResponse(u))
	return nil
}

type sessionJSON struct {
	ID        string  `json:"id"`
	AuthTime  *string `json:"auth_time"`
	CreatedAt *string `json:"created_at"`
	ExpiresAt *string `json:"expires_at"`
}

// ListSessions answers the user's live sessions, newest first.
func (ac *Access) ListSessions(w http.ResponseWriter, r *http.Request) error {
	t, u, err := ac.user(r)
	if err != nil {
		return err
	}
	ss, err := ac.api.cfg.Store.ListSessions(r.Context(), t.ID, u.ID, ac.api.az.Now())
	if err != nil {
		return err
	}
	out := []sessionJSON{}
	for _, s := range ss {
		out = append(out, sessionJSON{ID: s.ID, AuthTime: authz.TimeJSON(s.AuthTime), CreatedAt: authz.TimeJSON(s.CreatedAt), ExpiresAt: authz.TimeJSON(s.ExpiresAt)})
	}
	authz.WriteJSON(w, http.StatusOK, map[string]any{"sessions": out})
	return nil
}

// RevokeSession ends one live session of the user, with the grants given
// in it, as signing out does: 204, or 404 when the user has no such live
// session.
func (ac *Access) RevokeSession(w http.ResponseWriter, r *http.Request) error {
	t, u, err := ac.user(r)
	if err != nil {
		return err
	}
	id := r.PathValue("session")
	n, g, err := ac.api.cfg.Store.EndSessions(r.Context(), storage.SessionQuery{TenantID: t.ID, UserID: u.ID, ID: id, Grants: true}, ac.api.az.Now())
	if err != nil {
		return err
	}
	if n == 0 {
		return authz.Errorf(authz.CodeNotFound, "session not found")
	}
	ac.record(r, t.ID, "session.revoked", u.ID, map[string]any{"session": id, "grants_revoked": g})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// RevokeSessions ends every live session of the user, with the grants
// given in them, and answers how many of each.
func (ac *Access) RevokeSessions(w http.ResponseWriter, r *http.Request) error {
	t, u, err := ac.user(r)
	if err != nil {
		return err
	}
	n, g, err := ac.api.cfg.Store.EndSessions(r.Context(), storage.SessionQuery{TenantID: t.ID, UserID: u.ID, Grants: true}, ac.api.az.Now())
	if err != nil {
		return err
	}
	ac.record(r, t.ID, "session.revoked", u.ID, map[string]any{"session": "*", "sessions_revoked": n, "grants_revoked": g})
	authz.WriteJSON(w, http.StatusOK, map[string]int64{"sessions_revoked": n, "grants_revoked": g})
	return nil
}

type grantJSON struct {
	ID        string   `json:"id"`
	ClientID  string   `json:"client_id"`
	Scope     string   `json:"scope"`
	Resources []string `json:"resources"`
	// SessionID is the session the grant was given in, "" for none.
	SessionID string `json:"session_id,omitempty"`
	// RefreshToken: the grant has a refresh token (else it ends with its
	// access token).
	RefreshToken bool    `json:"refresh_token"`
	AuthTime     *string `json:"auth_time,omitempty"`
	CreatedAt    *string `json:"created_at"`
	LastUsedAt   *string `json:"last_used_at"`
	ExpiresAt    *string `json:"expires_at,omitempty"`
}

// ListGrants answers the user's live grants, newest first: a client, the
// scope and resources it was granted, and when it was created and last
// used (its refresh token last rotated).
func (ac *Access) ListGrants(w http.ResponseWriter, r *http.Request) error {
	t, u, err := ac.user(r)
	if err != nil {
		return err
	}
	fs, err := ac.api.cfg.Store.ListGrants(r.Context(), t.ID, u.ID, ac.api.az.Now())
	if err != nil {
		return err
	}
	out := []grantJSON{}
	for _, f := range fs {
		out = append(out, grantJSON{ID: f.ID, ClientID: f.ClientID, Scope: f.Scope, Resources: authz.NonNil(strings.Fields(f.Resource)),
			SessionID: f.SessionID, RefreshToken: len(f.TokenHash) > 0, AuthTime: authz.TimeJSON(f.AuthTime),
			CreatedAt: authz.TimeJSON(f.CreatedAt), LastUsedAt: authz.TimeJSON(f.RotatedAt), ExpiresAt: authz.TimeJSON(f.ExpiresAt)})
	}
	authz.WriteJSON(w, http.StatusOK, map[string]any{"grants": out})
	return nil
}

// RevokeGrant revokes one live grant of the user: its refresh token stops
// working and its access tokens are inactive at introspection. 204, or
// 404 when the user has no such live grant.
func (ac *Access) RevokeGrant(w http.ResponseWriter, r *http.Request) error {
	t, u, err := ac.user(r)
	if err != nil {
		return err
	}
	id := r.PathValue("grant")
	n, err := ac.api.cfg.Store.RevokeGrants(r.Context(), storage.GrantQuery{TenantID: t.ID, UserID: u.ID, ID: id}, ac.api.az.Now())
	if err != nil {
		return err
	}
	if n == 0 {
		return authz.Errorf(authz.CodeNotFound, "grant not found")
	}
	ac.record(r, t.ID, "grant.revoked", u.ID, map[string]any{"grant": id})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// RevokeGrants revokes every live grant of the user and answers how many.
// Its sessions stay: the user stays signed in, and the clients ask again.
func (ac *Access) RevokeGrants(w http.ResponseWriter, r *http.Request) error {
	t, u, err := ac.user(r)
	if err != nil {
		return err
	}
	n, err := ac.api.cfg.Store.RevokeGrants(r.Context(), storage.GrantQuery{TenantID: t.ID, UserID: u.ID}, ac.api.az.Now())
	if err != nil {
		return err
	}
	ac.record(r, t.ID, "grant.revoked", u.ID, map[string]any{"grant": "*", "grants_revoked": n})
	authz.WriteJSON(w, http.StatusOK, map[string]int64{"grants_revoked": n})
	return nil
}

type consentJSON struct {
	ClientID  string   `json:"client_id"`
	Scope     string   `json:"scope"`
	Resources []string `json:"resources"`
	GrantedAt *string  `json:"granted_at"`
}

// ListConsents answers what the user has allowed each client, by client
// id. A resource "" stands for a request without one (the tenant's
// default audience).
func (ac *Access) ListConsents(w http.ResponseWriter, r *http.Request) error {
	t, u, err := ac.user(r)
	if err != nil {
		return err
	}
	cs, err := ac.api.cfg.Store.ListConsents(r.Context(), t.ID, u.ID)
	if err != nil {
		return err
	}
	out := []consentJSON{}
	for _, c := range cs {
		out = append(out, consentJSON{ClientID: c.ClientID, Scope: c.Scope, Resources: authz.NonNil(c.Resources), GrantedAt: authz.TimeJSON(c.GrantedAt)})
	}
	authz.WriteJSON(w, http.StatusOK, map[string]any{"consents": out})
	return nil
}

// RevokeConsent forgets the user's consent for one client and revokes the
// user's grants to it: the client asks again. 204, or 404 when there is
// no such consent.
func (ac *Access) RevokeConsent(w http.ResponseWriter, r *http.Request) error {
	t, u, err := ac.user(r)
	if err != nil {
		return err
	}
	client := r.PathValue("client")
	n, g, err := ac.api.cfg.Store.RevokeConsents(r.Context(), t.ID, u.ID, client, ac.api.az.Now())
	if err != nil {
		return err
	}
	if n == 0 {
		return authz.Errorf(authz.CodeNotFound, "consent not found")
	}
	ac.record(r, t.ID, "consent.revoked", u.ID, map[string]any{"client": client, "grants_revoked": g})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// RevokeConsents forgets every consent of the user and revokes its grants
// to those clients; it answers how many of each.
func (ac *Access) RevokeConsents(w http.ResponseWriter, r *http.Request) error {
	t, u, err := ac.user(r)
	if err != nil {
		return err
	}
	n, g, err := ac.api.cfg.Store.RevokeConsents(r.Context(), t.ID, u.ID, "", ac.api.az.Now())
	if err != nil {
		return err
	}
	ac.record(r, t.ID, "consent.revoked", u.ID, map[string]any{"client": "*", "consents_revoked": n, "grants_revoked": g})
	authz.WriteJSON(w, http.StatusOK, map[string]int64{"consents_revoked": n, "grants_revoked": g})
	return nil
}
