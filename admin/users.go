package admin

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/password"
	"github.com/edgeauth/edgeauth/storage"
)

type userJSON struct {
	Username      *string   `json:"username"`
	Password      *string   `json:"password"`
	Email         *string   `json:"email"`
	EmailVerified *bool     `json:"email_verified"`
	Name          *string   `json:"name"`
	Roles         *[]string `json:"roles"`
}

// userResponse never carries the password hash.
type userResponse struct {
	ID            string   `json:"id"`
	Username      string   `json:"username"`
	Email         string   `json:"email,omitempty"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name,omitempty"`
	Roles         []string `json:"roles"`
	Disabled      bool     `json:"disabled"`
	// HasPassword: the user can sign in with a password (users made by an
	// upstream sign-in have none).
	HasPassword bool    `json:"has_password"`
	CreatedAt   *string `json:"created_at"`
	UpdatedAt   *string `json:"updated_at,omitempty"`
	// Identities are the upstream accounts linked to the user (GET only).
	Identities *[]identityResponse `json:"identities,omitempty"`
}

func newUserResponse(u storage.User) userResponse {
	return userResponse{ID: u.ID, Username: u.Username, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name,
		Roles: authz.NonNil(u.Roles), Disabled: u.Disabled, HasPassword: u.PasswordHash != "",
		CreatedAt: authz.TimeJSON(u.CreatedAt), UpdatedAt: authz.TimeJSON(u.UpdatedAt)}
}

// identityResponse is an upstream account linked to a user: never its
// tokens, only whether some are kept and until when.
type identityResponse struct {
	Connection     string  `json:"connection"`
	Subject        string  `json:"subject"`
	Email          string  `json:"email,omitempty"`
	EmailVerified  bool    `json:"email_verified"`
	Name           string  `json:"name,omitempty"`
	TokensExpireAt *string `json:"tokens_expire_at,omitempty"`
	CreatedAt      *string `json:"created_at"`
	LastLoginAt    *string `json:"last_login_at"`
}

func newIdentityResponse(id storage.Identity) identityResponse {
	return identityResponse{Connection: id.ConnectionID, Subject: id.Subject, Email: id.Email, EmailVerified: id.EmailVerified,
		Name: id.Name, TokensExpireAt: authz.TimeJSON(id.TokensExpireAt), CreatedAt: authz.TimeJSON(id.CreatedAt),
		LastLoginAt: authz.TimeJSON(id.LastLoginAt)}
}

// maxRoles bounds a user's roles.
const maxRoles = 50

// CreateUser creates a user with a slow password hash. The id is random and
// stable: it is the user's "sub".
func (a *API) CreateUser(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	var in userJSON
	if err := authz.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	u := storage.User{TenantID: t.ID}
	switch {
	case in.Username == nil || !syntax.ValidUsername(*in.Username):
		return authz.Errorf(authz.CodeInvalidRequest, "username is required: 1-64 characters of A-Z a-z 0-9 . _ @ + -")
	case in.Password == nil || utf8.RuneCountInString(*in.Password) < password.MinLen || len(*in.Password) > password.MaxLen:
		return authz.Errorf(authz.CodeInvalidRequest, "password is required: at least %d characters, at most %d bytes", password.MinLen, password.MaxLen)
	case !utf8.ValidString(*in.Password):
		return authz.Errorf(authz.CodeInvalidRequest, "password is not valid UTF-8")
	}
	u.Username = *in.Username
	p, err := in.profile()
	if err != nil {
		return err
	}
	if p.Email != nil {
		u.Email = *p.Email
	}
	if p.EmailVerified != nil {
		if *p.EmailVerified && u.Email == "" {
			return authz.Errorf(authz.CodeInvalidRequest, "email_verified needs an email")
		}
		u.EmailVerified = *p.EmailVerified
	}
	if p.Name != nil {
		u.Name = *p.Name
	}
	if p.Roles != nil {
		u.Roles = *p.Roles
	}
	if u.ID, err = a.az.NewSecret(16); err != nil {
		return err
	}
	if u.PasswordHash, err = a.cfg.Passwords.Hash(*in.Password); err != nil {
		return err
	}
	u.CreatedAt = a.az.Now()
	u.UpdatedAt = u.CreatedAt
	if err := a.cfg.Store.CreateUser(r.Context(), u); err != nil {
		return authz.StorageError(err, "user")
	}
	a.cfg.Audit.Record(r.Context(), t.ID, "user.created", "admin", u.ID, nil)
	authz.WriteJSON(w, http.StatusCreated, newUserResponse(u))
	return nil
}

// profile validates the profile fields of in: email, email_verified,
// name and roles, as a patch.
func (in *userJSON) profile() (storage.UserPatch, error) {
	var p storage.UserPatch
	if in.Email != nil {
		if e := *in.Email; e != "" {
			if err := syntax.CheckText("email", e, 254); err != nil {
				return p, authz.Errorf(authz.CodeInvalidRequest, "%s", err)
			}
			if at := strings.LastIndexByte(e, '@'); at < 1 || at == len(e)-1 || strings.ContainsAny(e, " <>") {
				return p, authz.Errorf(authz.CodeInvalidRequest, "email is not an email address")
			}
		}
		p.Email = in.Email
	}
	p.EmailVerified = in.EmailVerified
	if in.Name != nil {
		if err := syntax.CheckText("name", *in.Name, 200); err != nil {
			return p, authz.Errorf(authz.CodeInvalidRequest, "%s", err)
		}
		p.Name = in.Name
	}
	if in.Roles != nil {
		if len(*in.Roles) > maxRoles {
			return p, authz.Errorf(authz.CodeInvalidRequest, "at most %d roles", maxRoles)
		}
		for _, role := range *in.Roles {
			if !syntax.ValidRole(role) {
				return p, authz.Errorf(authz.CodeInvalidRequest, "role %q must be 1-64 characters of A-Z a-z 0-9 : . _ -", role)
			}
		}
		roles := syntax.Dedupe(*in.Roles)
		p.Roles = &roles
	}
	return p, nil
}

// PatchUser changes a user's email, email_verified, name and roles: the
// fields given, each on its own, in one statement (two changes at once
// both take effect). A new address is unverified unless the request says
// otherwise. The username and the password cannot change here.
func (a *API) PatchUser(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	var in userJSON
	if err := authz.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	switch {
	case in.Username != nil || in.Password != nil:
		return authz.Errorf(authz.CodeInvalidRequest, "username and password cannot be changed")
	case in.EmailVerified != nil && *in.EmailVerified && in.Email != nil && *in.Email == "":
		return authz.Errorf(authz.CodeInvalidRequest, "email_verified needs an email")
	case in == userJSON{}:
		// null or {}: no change to make, to stamp or to audit.
		return authz.Errorf(authz.CodeInvalidRequest, "nothing to change: give email, email_verified, name or roles")
	}
	if in.EmailVerified != nil && *in.EmailVerified && in.Email == nil {
		// Verifying the stored address: there must be one (as at
		// creation), not a silent false from the store's rule.
		u, err := a.cfg.Store.GetUser(r.Context(), t.ID, r.PathValue("user"))
		if err != nil {
			return authz.StorageError(err, "user")
		}
		if u.Email == "" {
			return authz.Errorf(authz.CodeInvalidRequest, "email_verified needs an email: the user has none")
		}
	}
	p, err := in.profile()
	if err != nil {
		return err
	}
	p.At = a.az.Now()
	u, err := a.cfg.Store.PatchUser(r.Context(), t.ID, r.PathValue("user"), p)
	if err != nil {
		return authz.StorageError(err, "user")
	}
	a.cfg.Audit.Record(r.Context(), t.ID, "user.updated", "admin", u.ID, nil)
	authz.WriteJSON(w, http.StatusOK, newUserResponse(u))
	return nil
}

// GetUser answers a user and its linked upstream accounts, never its
// password hash nor upstream tokens.
func (a *API) GetUser(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	u, err := a.cfg.Store.GetUser(r.Context(), t.ID, r.PathValue("user"))
	if err != nil {
		return authz.StorageError(err, "user")
	}
	ids, err := a.cfg.Store.ListIdentities(r.Context(), t.ID, u.ID)
	if err != nil {
		return err
	}
	out := newUserResponse(u)
	list := make([]identityResponse, 0, len(ids))
	for _, id := range ids {
		list = append(list, newIdentityResponse(id))
	}
	out.Identities = &list
	authz.WriteJSON(w, http.StatusOK, out)
	return nil
}

// ListUsers pages through a tenant's users in the byte order of their
// usernames: GET /admin/v1/tenants/{T}/users. Query: prefix (usernames
// that start with it), after (a username: the page after it), limit
// (1-1000, default 100). The answer's next_after, when present, fetches
// the next page. A listed user has no identities; GetUser shows them.
func (a *API) ListUsers(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	p, err := authz.QueryParams(r)
	if err != nil {
		return err
	}
	q := storage.UserQuery{Prefix: p.Get("prefix"), After: p.Get("after")}
	for name, v := range map[string]string{"prefix": q.Prefix, "after": q.After} {
		if !utf8.ValidString(v) || len(v) > maxUsernameQuery {
			return authz.Errorf(authz.CodeInvalidRequest, "%s must be UTF-8 of at most %d bytes", name, maxUsernameQuery)
		}
	}
	if q.Limit, err = pageLimit(p); err != nil {
		return err
	}
	users, err := a.cfg.Store.ListUsers(r.Context(), t.ID, q)
	if err != nil {
		return err
	}
	out := struct {
		Users     []userResponse `json:"users"`
		NextAfter string         `json:"next_after,omitempty"`
	}{Users: make([]userResponse, len(users))}
	for i, u := range users {
		out.Users[i] = newUserResponse(u)
	}
	if len(users) == q.Limit {
		out.NextAfter = users[len(users)-1].Username
	}
	authz.WriteJSON(w, http.StatusOK, out)
	return nil
}

// maxUsernameQuery bounds the usernames a list is asked about: an
// upstream account's username is its connection's id and subject.
const maxUsernameQuery = 512

// UnlinkIdentity unlinks the user's account of a connection: signing in
// through the connection no longer signs in as the user (a later sign-in
// of that account makes a new user, when the connection may).
func (a *API) UnlinkIdentity(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	user, conn := r.PathValue("user"), r.PathValue("connection")
	if err := a.cfg.Store.DeleteIdentity(r.Context(), t.ID, user, conn); err != nil {
		return authz.StorageError(err, "identity")
	}
	a.cfg.Audit.Record(r.Context(), t.ID, "identity.unlinked", "admin", user, map[string]any{"connection": conn})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// DeleteUser deletes a user and everything granted to it.
func (a *API) DeleteUser(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Store.DeleteUser(r.Context(), t.ID, r.PathValue("user")); err != nil {
		return authz.StorageError(err, "user")
	}
	a.cfg.Audit.Record(r.Context(), t.ID, "user.deleted", "admin", r.PathValue("user"), nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
