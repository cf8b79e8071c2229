package session

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
)

// Session lifetimes: DefaultTTL unless the tenant's session_ttl says
// otherwise, within [MinTTL, MaxTTL].
const (
	DefaultTTL = 12 * time.Hour
	MinTTL     = 5 * time.Minute
	MaxTTL     = 30 * 24 * time.Hour
)

// MaxPerUser is how many sessions a user holds at most: a sign-in past it
// ends the user's oldest session.
const MaxPerUser = 50

// Lengths of a cookie's parts, base64url of 16 and 32 bytes.
const (
	idLen     = 22
	secretLen = 43
)

// TTL is the session lifetime of tenant t.
func TTL(t storage.Tenant) time.Duration {
	if t.Settings.SessionTTL > 0 {
		return time.Duration(t.Settings.SessionTTL) * time.Second
	}
	return DefaultTTL
}

// Session is a signed-in browser.
type Session struct {
	Tenant string
	UserID string
	// AuthTime is when the user signed in, in Unix seconds.
	AuthTime int64
	// Handle names the session without its cookie: its public id, the
	// ID tokens' sid and the admin API's name for it.
	Handle string
	// ExpiresAt is when it ends by itself, in Unix seconds.
	ExpiresAt int64
	// User is the session's user as Get read it with the session; nil
	// from Start (whose caller has just checked the user).
	User *storage.User
}

// Store makes, reads and ends sessions in DB.
type Store struct {
	DB   storage.Sessions
	Now  func() time.Time
	Rand io.Reader
}

// Start signs a browser in to tenant as userID at authTime, for ttl, and
// returns the session and its cookie value. The user's oldest sessions
// past MaxPerUser end in the same step.
func (s *Store) Start(ctx context.Context, tenant, userID string, authTime time.Time, ttl time.Duration) (string, *Session, error) {
	id, err := secret.New(s.Rand, 16)
	if err != nil {
		return "", nil, err
	}
	sec, err := secret.New(s.Rand, 32)
	if err != nil {
		return "", nil, err
	}
	now := s.Now().UTC().Truncate(time.Second)
	row := storage.Session{TenantID: tenant, ID: id, SecretHash: secret.Hash(sec), UserID: userID,
		AuthTime: authTime, CreatedAt: now, ExpiresAt: authTime.Add(ttl)}
	if err := s.DB.CreateSession(ctx, row, MaxPerUser); err != nil {
		return "", nil, err
	}
	return id + "." + sec, &Session{Tenant: tenant, UserID: userID, AuthTime: authTime.Unix(), Handle: id, ExpiresAt: row.ExpiresAt.Unix()}, nil
}

// Get returns the working session of cookie in tenant with its user, or
// nil when there is none: a malformed or unknown cookie, a wrong secret,
// a session signed out, revoked or expired, or a disabled user. It reads
// one row, strongly consistent.
func (s *Store) Get(ctx context.Context, tenant, cookie string) (*Session, error) {
	id, sec, ok := strings.Cut(cookie, ".")
	if !ok || len(id) != idLen || len(sec) != secretLen {
		return nil, nil // also a KV session's cookie of before D1: sign in again
	}
	row, user, err := s.DB.GetSession(ctx, tenant, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	now := s.Now()
	if subtle.ConstantTimeCompare(secret.Hash(sec), row.SecretHash) != 1 || !row.RevokedAt.IsZero() ||
		!now.Before(row.ExpiresAt) || user.Disabled {
		return nil, nil
	}
	return &Session{Tenant: tenant, UserID: row.UserID, AuthTime: row.AuthTime.Unix(), Handle: row.ID,
		ExpiresAt: row.ExpiresAt.Unix(), User: &user}, nil
}

// End ends the session id of tenant now and, with grants, revokes the
// grants given in it, in one atomic step. It reports whether the session
// was live and how many grants it revoked.
func (s *Store) End(ctx context.Context, tenant, id string, grants bool) (bool, int64, error) {
	n, g, err := s.DB.EndSessions(ctx, storage.SessionQuery{TenantID: tenant, ID: id, Grants: grants}, s.Now().UTC().Truncate(time.Second))
	return n > 0, g, err
}
