package authz

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// KV holds three kinds of short-lived records, each under the SHA-256 of a
// 256-bit random value that only the browser or the client knows, so a KV
// dump reveals no usable secret:
//
//	ar:<hash>    a pending authorization request (authRequestTTL)
//	sess:<hash>  a browser session (sessionTTL)
//	code:<hash>  an authorization code (codeTTL)
//
// KV is eventually consistent: none of these decides anything that must
// happen once. A code's single use is decided in SQL (Codes.RedeemCode).
const (
	authRequestTTL = 10 * time.Minute
	sessionTTL     = 12 * time.Hour
	codeTTL        = storage.MinKVTTL // OAuth 2.1 §4.1.2: short-lived; KV's minimum
)

func kvKey(kind, secret string) string {
	return kind + ":" + hex.EncodeToString(hashSecret(secret))
}

// putRecord stores v as JSON under kind:hash(secret).
func (s *Server) putRecord(ctx context.Context, kind, secret string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("authz: encoding %s record: %w", kind, err)
	}
	return s.cfg.KV.Put(ctx, kvKey(kind, secret), b, ttl)
}

// getRecord loads kind:hash(secret) into v. A missing record is
// storage.ErrNotFound.
func (s *Server) getRecord(ctx context.Context, kind, secret string, v any) error {
	b, err := s.cfg.KV.Get(ctx, kvKey(kind, secret))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("authz: decoding %s record: %w", kind, err)
	}
	return nil
}

// deleteRecord removes a record; failures are logged, since every record
// also expires by itself.
func (s *Server) deleteRecord(ctx context.Context, kind, secret string) {
	s.deleteRecordKey(ctx, kvKey(kind, secret))
}

func (s *Server) deleteRecordKey(ctx context.Context, key string) {
	if err := s.cfg.KV.Delete(ctx, key); err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.log.WarnContext(ctx, "kv delete failed", "err", err)
	}
}

// authRequest is a validated authorization request waiting for login or
// consent, kept server-side and referenced by its id from the pages.
type authRequest struct {
	Tenant        string   `json:"t"`
	ClientID      string   `json:"c"`
	RedirectURI   string   `json:"r"`
	RedirectGiven bool     `json:"rg,omitempty"`
	State         string   `json:"st,omitempty"`
	Scope         string   `json:"sc,omitempty"`
	Resources     []string `json:"res,omitempty"`
	Challenge     string   `json:"cc"`
	Nonce         string   `json:"n,omitempty"`
	Prompt        string   `json:"p,omitempty"`
	MaxAge        int64    `json:"ma"` // -1: not given
	// LoginAfter: only a session signed in at or after this Unix time
	// satisfies the request (prompt=login, max_age=0); 0 for any.
	LoginAfter int64  `json:"la,omitempty"`
	CSRF       string `json:"csrf"`
	Browser    string `json:"b"` // hex SHA-256 of the browser-binding cookie
	// Expires: Unix time after which the request is refused whatever KV
	// still returns (KV's own expiry is the record's TTL, not a promise).
	Expires int64 `json:"exp,omitempty"`
}

// session is a signed-in browser.
type session struct {
	Tenant   string `json:"t"`
	UserID   string `json:"u"`
	AuthTime int64  `json:"at"`
}

// codeRecord is what an authorization code is bound to (OAuth 2.1 §4.1.2).
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
	AuthTime      int64    `json:"at"`
	ExpiresAt     int64    `json:"exp"`
}
