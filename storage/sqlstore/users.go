package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/edgeauth/edgeauth/storage"
)

// userColumnList are the columns of users, in the order every read scans
// them and userArgs gives them.
var userColumnList = []string{"tenant_id", "id", "username", "email", "password_hash", "roles",
	"created_at", "updated_at", "disabled", "email_verified", "name"}

var (
	userColumns = strings.Join(userColumnList, ", ")
	// userValues is the VALUES list of one user's row.
	userValues = "(" + strings.Repeat("?, ", len(userColumnList)-1) + "?)"
)

// userColumnsOf is userColumns of the table aliased a, for joins that scan
// them with optionalUser, each named a_<column>: a D1 batch returns its
// reads' rows as objects keyed by column name, so a joined user's columns
// need names of their own.
func userColumnsOf(a string) string {
	cols := make([]string, len(userColumnList))
	for i, c := range userColumnList {
		cols[i] = a + "." + c + " AS " + a + "_" + c
	}
	return strings.Join(cols, ", ")
}

func scanUser(op string, row rowScanner) (storage.User, error) {
	var (
		u                  storage.User
		roles              string
		created, updated   sql.NullInt64
		disabled, verified int64
	)
	err := row.Scan(&u.TenantID, &u.ID, &u.Username, &u.Email, &u.PasswordHash, &roles, &created, &updated, &disabled, &verified, &u.Name)
	if err != nil {
		return storage.User{}, wrapErr(op, err)
	}
	u.EmailVerified = verified != 0
	if u.Roles, err = fromList(roles); err != nil {
		return storage.User{}, fmt.Errorf("sqlstore: %s: decode roles: %w", op, err)
	}
	u.CreatedAt, u.UpdatedAt = fromUnix(created), fromUnix(updated)
	u.Disabled = disabled != 0
	return u, nil
}

// optionalUser scans the user columns of an outer join: all NULL when
// there is no user.
type optionalUser struct {
	tenant, id, name, email, hash, roles sql.NullString
	created, updated, disabled, verified sql.NullInt64
	fullName                             sql.NullString
}

// dest is the Scan destinations, in userColumnList order.
func (o *optionalUser) dest() []any {
	return []any{&o.tenant, &o.id, &o.name, &o.email, &o.hash, &o.roles, &o.created, &o.updated, &o.disabled, &o.verified, &o.fullName}
}

// user is the scanned user, or nil when the join found none.
func (o *optionalUser) user(op string) (*storage.User, error) {
	if !o.id.Valid {
		return nil, nil
	}
	u := &storage.User{TenantID: o.tenant.String, ID: o.id.String, Username: o.name.String, Email: o.email.String,
		PasswordHash: o.hash.String, CreatedAt: fromUnix(o.created), UpdatedAt: fromUnix(o.updated), Disabled: o.disabled.Int64 != 0,
		EmailVerified: o.verified.Int64 != 0, Name: o.fullName.String}
	var err error
	if u.Roles, err = fromList(o.roles.String); err != nil {
		return nil, fmt.Errorf("sqlstore: %s: decode roles: %w", op, err)
	}
	return u, nil
}

// CreateUser implements storage.Users. A taken id or username is
// ErrAlreadyExists; ON CONFLICT DO NOTHING covers both unique keys.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	const op = "create user"
	l, err := lists(op, u.Roles)
	if err != nil {
		return err
	}
	n, err := s.exec(ctx, op,
		`INSERT INTO users (`+userColumns+`) VALUES `+userValues+` ON CONFLICT DO NOTHING`,
		userArgs(u, l[0])...)
	if err != nil {
		return err
	}
	if n == 0 {
		return alreadyExists(op)
	}
	return nil
}

// userArgs are u's values in userColumns order, its roles encoded.
func userArgs(u storage.User, roles string) []any {
	return []any{u.TenantID, u.ID, u.Username, u.Email, u.PasswordHash, roles, unix(u.CreatedAt), unix(u.UpdatedAt),
		boolInt(u.Disabled), boolInt(u.EmailVerified), u.Name}
}

// GetUser implements storage.Users.
func (s *Store) GetUser(ctx context.Context, tenantID, id string) (storage.User, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id)
	return scanUser("get user", row)
}

// ListUsers implements storage.Users. A prefix is the range [prefix,
// prefixEnd(prefix)), so the (tenant_id, username) index finds the page
// without reading the users outside it.
func (s *Store) ListUsers(ctx context.Context, tenantID string, q storage.UserQuery) ([]storage.User, error) {
	where, args := []string{"tenant_id = ?", "username > ?"}, []any{tenantID, q.After}
	if q.Prefix != "" {
		where, args = append(where, "username >= ?"), append(args, q.Prefix)
		if end, ok := prefixEnd(q.Prefix); ok {
			where, args = append(where, "username < ?"), append(args, end)
		} else {
			where, args = append(where, "substr(username, 1, length(?)) = ?"), append(args, q.Prefix, q.Prefix)
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	return queryAll(ctx, s.conn, "list users", scanUser,
		`SELECT `+userColumns+` FROM users WHERE `+strings.Join(where, " AND ")+` ORDER BY username LIMIT ?`,
		append(args, limit)...)
}

// prefixEnd is the least string above every string that starts with p:
// p with its last rune counted up. UTF-8's byte order is its code points'
// order, so this holds for SQLite's byte-wise comparison too. ok is false
// when p ends in U+10FFFF or in a byte that is not UTF-8.
func prefixEnd(p string) (end string, ok bool) {
	r, size := utf8.DecodeLastRuneInString(p)
	switch {
	case r == utf8.RuneError && size <= 1, r == unicode.MaxRune:
		return "", false
	case r == 0xD7FF: // the code points after it are surrogates, not characters
		r = 0xE000
	default:
		r++
	}
	return p[:len(p)-size] + string(r), true
}

// PatchUser implements storage.Users: one UPDATE ... RETURNING, each
// column either kept or replaced.
func (s *Store) PatchUser(ctx context.Context, tenantID, id string, p storage.UserPatch) (storage.User, error) {
	const op = "patch user"
	var roles any
	if p.Roles != nil {
		l, err := lists(op, *p.Roles)
		if err != nil {
			return storage.User{}, err
		}
		roles = l[0]
	}
	var email, verified, name any
	if p.Email != nil {
		email = *p.Email
	}
	if p.EmailVerified != nil {
		verified = boolInt(*p.EmailVerified)
	}
	if p.Name != nil {
		name = *p.Name
	}
	row := s.db.QueryRowContext(ctx,
		`UPDATE users SET
		   email_verified = CASE
		     WHEN COALESCE(?, email) = '' THEN 0
		     WHEN ? IS NOT NULL THEN ?
		     WHEN ? IS NOT NULL AND ? <> email THEN 0
		     ELSE email_verified END,
		   email = COALESCE(?, email),
		   name = COALESCE(?, name),
		   roles = COALESCE(?, roles),
		   updated_at = ?
		 WHERE tenant_id = ? AND id = ?
		 RETURNING `+userColumns,
		email, verified, verified, email, email, email, name, roles, unix(p.At), tenantID, id)
	return scanUser(op, row)
}

// DeleteUser implements storage.Users. The user's consents and refresh
// families go in the same statement (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, tenantID, id string) error {
	const op = "delete user"
	n, err := s.exec(ctx, op, `DELETE FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}

// SetUserDisabled implements storage.Users in one batch: disabling ends
// the user's live sessions, revokes its live families and denies the
// device authorizations it approved and no device redeemed yet, in the
// same transaction as the flag. The UPDATE of the user decides ErrNotFound; it
// comes last, so that the batch's other statements read the user's rows
// as they were (none depends on the flag).
func (s *Store) SetUserDisabled(ctx context.Context, tenantID, id string, disabled bool, at time.Time) error {
	const op = "set user disabled"
	var stmts []stmt
	if disabled {
		stmts = append(stmts,
			stmt{`UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?`,
				[]any{unix(at), tenantID, id, at.Unix()}},
			revokeGrants(storage.GrantQuery{TenantID: tenantID, UserID: id}, at),
			// A device the user approved and that has not redeemed yet
			// would otherwise get its tokens once the user is enabled.
			stmt{`UPDATE device_authorizations SET status = 'denied' WHERE tenant_id = ? AND user_id = ? AND status = 'approved'`,
				[]any{tenantID, id}})
	}
	stmts = append(stmts, stmt{`UPDATE users SET disabled = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		[]any{boolInt(disabled), unix(at), tenantID, id}})
	n, err := s.batch(ctx, op, stmts...)
	if err != nil {
		return err
	}
	if n[len(n)-1] == 0 {
		return notFound(op)
	}
	return nil
}
