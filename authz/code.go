package authz

import (
	"context"
	"net/http"
	"net/url"

	"github.com/edgeauth/edgeauth/internal/kvrecord"
	"github.com/edgeauth/edgeauth/storage"
)

// codeTTL is an authorization code's lifetime (OAuth 2.1 §4.1.2:
// short-lived): KV's minimum.
const codeTTL = storage.MinKVTTL

// codeRecord is what an authorization code is bound to (OAuth 2.1 §4.1.2).
// It lives in KV under the code's hash; its single use is decided in SQL
// (storage.Codes.RedeemCode). It carries the user's claims as they were
// when the code was issued (at most codeTTL before the exchange), so the
// exchange reads no user: the redemption itself fails if the user is gone.
type codeRecord struct {
	Tenant        string   `json:"t"`
	ClientID      string   `json:"c"`
	RedirectURI   string   `json:"r"`
	RedirectGiven bool     `json:"rg,omitempty"`
	Challenge     string   `json:"cc"`
	Scope         string   `json:"sc,omitempty"`
	Resources     []string `json:"res,omitempty"`
	Nonce         string   `json:"n,omitempty"`
	UserID        string   `json:"u"`
	// User is the user's claims; nil in a code of a version before them.
	User      *codeUser `json:"uc,omitempty"`
	AuthTime  int64     `json:"at"`
	SessionID string    `json:"sid,omitempty"`
	ExpiresAt int64     `json:"exp"`
}

// codeUser is the user's claims a code carries.
type codeUser struct {
	Username      string   `json:"n,omitempty"`
	Name          string   `json:"nm,omitempty"`
	Email         string   `json:"e,omitempty"`
	EmailVerified bool     `json:"ev,omitempty"`
	Roles         []string `json:"r,omitempty"`
}

// IssueCode creates the authorization code of ar for user, who signed in
// at authTime (Unix seconds) in session sid ("" for none), and stores its
// bindings in KV.
func (s *Server) IssueCode(ctx context.Context, ar *AuthRequest, user storage.User, authTime int64, sid string) (string, error) {
	code, err := s.NewSecret(32)
	if err != nil {
		return "", err
	}
	rec := codeRecord{
		Tenant: ar.Tenant, ClientID: ar.ClientID, RedirectURI: ar.RedirectURI, RedirectGiven: ar.RedirectGiven,
		Challenge: ar.Challenge, Scope: ar.Scope, Resources: ar.Resources, Nonce: ar.Nonce,
		UserID: user.ID, User: &codeUser{Username: user.Username, Name: user.Name, Email: user.Email, EmailVerified: user.EmailVerified, Roles: user.Roles},
		AuthTime: authTime, SessionID: sid, ExpiresAt: s.Now().Add(codeTTL).Unix(),
	}
	if err := kvrecord.Put(ctx, s.cfg.KV, "code", code, rec, codeTTL); err != nil {
		return "", err
	}
	return code, nil
}

// RedirectCode sends the browser back to the client with code (OAuth 2.1
// §4.1.2).
func (s *Server) RedirectCode(w http.ResponseWriter, r *http.Request, ar *AuthRequest, code string) {
	s.redirectToClient(w, r, ar, url.Values{"code": {code}})
}

// RedirectError sends an authorization error back to the client (OAuth 2.1
// §4.1.2.1). Call it only with a request ParseAuthRequest returned (its
// client_id and redirect_uri are validated). A server_error is not
// redirected but returned, for the page to tell the user.
func (s *Server) RedirectError(w http.ResponseWriter, r *http.Request, ar *AuthRequest, err error) error {
	e := AsError(s.log, r, err)
	if e.Code == CodeServerError {
		return e
	}
	q := url.Values{"error": {string(e.Code)}, "error_description": {e.Description}}
	s.redirectToClient(w, r, ar, q)
	return nil
}

// redirectToClient adds state and iss (RFC 9207 §2) to q and redirects to
// the validated redirect URI, keeping its own query (OAuth 2.1 §4.1.2).
func (s *Server) redirectToClient(w http.ResponseWriter, r *http.Request, ar *AuthRequest, q url.Values) {
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	q.Set("iss", s.Issuer(ar.Tenant))
	// The registered URI's own query is kept byte for byte (RFC 6749
	// §3.1.2: it MUST be retained), the response parameters appended.
	u, _ := url.Parse(ar.RedirectURI) // validated at registration and here
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}
