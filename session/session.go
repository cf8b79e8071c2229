package session

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"time"

	"github.com/edgeauth/edgeauth/internal/kvrecord"
	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
)

// TTL is how long a session lasts from its sign-in.
const TTL = 12 * time.Hour

// Session is a signed-in browser.
type Session struct {
	Tenant string `json:"t"`
	UserID string `json:"u"`
	// AuthTime is when the user signed in, in Unix seconds.
	AuthTime int64 `json:"at"`
	// Handle tells sessions apart without their id: the hex SHA-256 of
	// the id (not stored: Get and Start set it).
	Handle string `json:"-"`
}

// Store keeps sessions in KV.
type Store struct {
	KV   storage.KV
	Now  func() time.Time
	Rand io.Reader
}

// Start signs a browser in to tenant as userID at authTime and returns the
// session and its id, for the browser's cookie.
func (s *Store) Start(ctx context.Context, tenant, userID string, authTime time.Time) (string, *Session, error) {
	id, err := secret.New(s.Rand, 32)
	if err != nil {
		return "", nil, err
	}
	sess := &Session{Tenant: tenant, UserID: userID, AuthTime: authTime.Unix(), Handle: handle(id)}
	if err := kvrecord.Put(ctx, s.KV, "sess", id, sess, TTL); err != nil {
		return "", nil, err
	}
	return id, sess, nil
}

// Get returns the session of id in tenant, or nil when there is none:
// unknown, another tenant's, or older than TTL, whatever KV still returns.
func (s *Store) Get(ctx context.Context, tenant, id string) (*Session, error) {
	if id == "" {
		return nil, nil
	}
	var sess Session
	switch err := kvrecord.Get(ctx, s.KV, "sess", id, &sess); {
	case errors.Is(err, storage.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if sess.Tenant != tenant || s.Now().Unix()-sess.AuthTime >= int64(TTL/time.Second) {
		return nil, nil
	}
	sess.Handle = handle(id)
	return &sess, nil
}

func handle(id string) string { return hex.EncodeToString(secret.Hash(id)) }
