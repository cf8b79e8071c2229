package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// Store is a storage.Store over a *sql.DB holding the schema of package
// migrations. It is safe for concurrent use. The concerns that came later
// than the core records live on types of their own, embedded: sessions
// (sessions.go), device authorizations (devices.go), upstream connections
// and identities (connections.go).
type Store struct {
	*conn
	sessions
	devices
	upstream
}

// conn is the database every part of the Store shares, with the helpers
// that run statements and batches on it.
type conn struct {
	db       *sql.DB
	runBatch batchFunc // nil: a database/sql transaction
}

var _ storage.Store = (*Store)(nil)

// New returns a Store over db, which must already hold the schema. The
// caller keeps ownership of db. Its batches are database/sql transactions,
// which D1's driver does not offer: in the Worker use NewD1.
func New(db *sql.DB) *Store {
	c := &conn{db: db}
	return &Store{conn: c, sessions: sessions{c}, devices: devices{c}, upstream: upstream{c}}
}

// exec runs one statement and returns how many rows it changed.
func (s *conn) exec(ctx context.Context, op, query string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, wrapErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlstore: %s: rows affected: %w", op, err)
	}
	return n, nil
}

// exists reports whether query (a SELECT 1 ...) returns a row.
func (s *conn) exists(ctx context.Context, op, query string, args ...any) (bool, error) {
	var one int64
	err := s.db.QueryRowContext(ctx, query, args...).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, wrapErr(op, err)
	}
	return true, nil
}

// rowScanner is what a scan function reads one row from: a *sql.Row or
// *sql.Rows.
type rowScanner interface{ Scan(...any) error }

// queryAll runs query and reads every row it returns with scan, which
// wraps its own errors with op.
func queryAll[T any](ctx context.Context, c *conn, op string, scan func(string, rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(op, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(op, err)
	}
	return out, nil
}

// lostUpdate explains a compare-and-set that changed no row: ErrConflict
// if the row the query exists finds is there, else ErrNotFound.
func (s *conn) lostUpdate(ctx context.Context, op, exists string, args ...any) error {
	ok, err := s.exists(ctx, op, exists, args...)
	switch {
	case err != nil:
		return err
	case !ok:
		return notFound(op)
	}
	return conflict(op)
}

// wrapErr maps driver errors to the storage sentinels. SQLite and D1 word
// constraint failures the same way, so matching the message works for both.
func wrapErr(op string, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlstore: %s: %w", op, storage.ErrNotFound)
	case strings.Contains(msg, "UNIQUE constraint failed"):
		return fmt.Errorf("sqlstore: %s: %w (%v)", op, storage.ErrAlreadyExists, err)
	case strings.Contains(msg, "FOREIGN KEY constraint failed"):
		return fmt.Errorf("sqlstore: %s: %w (%v)", op, storage.ErrNotFound, err)
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// notFound and alreadyExists build the sentinel errors for op.
func notFound(op string) error { return fmt.Errorf("sqlstore: %s: %w", op, storage.ErrNotFound) }
func alreadyExists(op string) error {
	return fmt.Errorf("sqlstore: %s: %w", op, storage.ErrAlreadyExists)
}
func conflict(op string) error { return fmt.Errorf("sqlstore: %s: %w", op, storage.ErrConflict) }

// unix stores t as Unix seconds, or NULL when t is zero.
func unix(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// fromUnix is the inverse of unix.
func fromUnix(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(n.Int64, 0).UTC()
}

// blob stores b, or NULL when it is empty.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// fromBlob normalizes an empty scanned blob to nil and copies it, so the
// result never aliases driver memory.
func fromBlob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// boolInt stores b as 0 or 1.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// nullString stores s, or NULL when it is empty (for nullable foreign keys).
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// list encodes a string list as a JSON array; nil and empty both become [].
func list(l []string) (string, error) {
	if len(l) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(l)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// fromList decodes a JSON array; an empty array becomes nil.
func fromList(s string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

// lists encodes several lists, failing on the first error.
func lists(op string, ls ...[]string) ([]string, error) {
	out := make([]string, len(ls))
	for i, l := range ls {
		s, err := list(l)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: %s: encode list: %w", op, err)
		}
		out[i] = s
	}
	return out, nil
}
