package authz

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/edgeauth/edgeauth/storage"
)

type userJSON struct {
	Username *string   `json:"username"`
	Password *string   `json:"password"`
	Email    *string   `json:"email"`
	Roles    *[]string `json:"roles"`
}

// userResponse never carries the password hash.
type userResponse struct {
	ID        string   `json:"id"`
	Username  string   `json:"username"`
	Email     string   `json:"email,omitempty"`
	Roles     []string `json:"roles"`
	CreatedAt *string  `json:"created_at"`
}

func newUserResponse(u storage.User) userResponse {
	return userResponse{ID: u.ID, Username: u.Username, Email: u.Email, Roles: nonNil(u.Roles), CreatedAt: timeJSON(u.CreatedAt)}
}

// Password length bounds: at least 8 characters (NIST SP 800-63B §5.1.1.2),
// at most 256 bytes so one request cannot buy a long hash.
const (
	minPasswordLen = 8
	maxPasswordLen = 256
	maxRoles       = 50
)

// createUser creates a user with a slow password hash. The id is random and
// stable: it is the user's "sub".
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return err
	}
	var in userJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u := storage.User{TenantID: t.ID}
	switch {
	case in.Username == nil || !validUsername(*in.Username):
		return errorf(CodeInvalidRequest, "username is required: 1-64 characters of A-Z a-z 0-9 . _ @ + -")
	case in.Password == nil || utf8.RuneCountInString(*in.Password) < minPasswordLen || len(*in.Password) > maxPasswordLen:
		return errorf(CodeInvalidRequest, "password is required: at least %d characters, at most %d bytes", minPasswordLen, maxPasswordLen)
	case !utf8.ValidString(*in.Password):
		return errorf(CodeInvalidRequest, "password is not valid UTF-8")
	}
	u.Username = *in.Username
	if in.Email != nil && *in.Email != "" {
		if err := checkText("email", *in.Email, 254); err != nil {
			return err
		}
		if at := strings.LastIndexByte(*in.Email, '@'); at < 1 || at == len(*in.Email)-1 || strings.ContainsAny(*in.Email, " <>") {
			return errorf(CodeInvalidRequest, "email is not an email address")
		}
		u.Email = *in.Email
	}
	if in.Roles != nil {
		if len(*in.Roles) > maxRoles {
			return errorf(CodeInvalidRequest, "at most %d roles", maxRoles)
		}
		for _, role := range *in.Roles {
			if !validRole(role) {
				return errorf(CodeInvalidRequest, "role %q must be 1-64 characters of A-Z a-z 0-9 : . _ -", role)
			}
		}
		u.Roles = dedupe(*in.Roles)
	}
	if u.ID, err = s.randomToken(16); err != nil {
		return err
	}
	if u.PasswordHash, err = hashPassword(s.cfg.Rand, s.cfg.DeriveKey, *in.Password); err != nil {
		return err
	}
	u.CreatedAt = s.now()
	u.UpdatedAt = u.CreatedAt
	if err := s.cfg.Store.CreateUser(r.Context(), u); err != nil {
		return storageError(err, "user")
	}
	s.audit(r.Context(), t.ID, "user.created", "admin", u.ID, nil)
	writeJSON(w, http.StatusCreated, newUserResponse(u))
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return err
	}
	u, err := s.cfg.Store.GetUser(r.Context(), t.ID, r.PathValue("user"))
	if err != nil {
		return storageError(err, "user")
	}
	writeJSON(w, http.StatusOK, newUserResponse(u))
	return nil
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteUser(r.Context(), t.ID, r.PathValue("user")); err != nil {
		return storageError(err, "user")
	}
	s.audit(r.Context(), t.ID, "user.deleted", "admin", r.PathValue("user"), nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
