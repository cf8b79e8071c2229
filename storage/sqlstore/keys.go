package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

const keyColumns = `tenant_id, kid, alg, key_use, state, public_jwk, private_sealed,
	created_at, activated_at, retired_at`

// CreateKey implements storage.SigningKeys.
func (s *Store) CreateKey(ctx context.Context, k storage.SigningKey) error {
	const op = "create key"
	n, err := s.exec(ctx, op,
		`INSERT INTO signing_keys (`+keyColumns+`)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		k.TenantID, k.KID, k.Alg, string(k.Use), string(k.State), blob(k.PublicJWK), blob(k.PrivateSealed),
		unix(k.CreatedAt), unix(k.ActivatedAt), unix(k.RetiredAt))
	if err != nil {
		return err
	}
	if n == 0 {
		return alreadyExists(op)
	}
	return nil
}

// ListKeys implements storage.SigningKeys.
func (s *Store) ListKeys(ctx context.Context, tenantID string) ([]storage.SigningKey, error) {
	return queryAll(ctx, s.conn, "list keys", scanKey,
		`SELECT `+keyColumns+` FROM signing_keys WHERE tenant_id = ? ORDER BY created_at, kid`, tenantID)
}

// scanKey reads one row of keyColumns.
func scanKey(op string, row rowScanner) (storage.SigningKey, error) {
	var (
		k                           storage.SigningKey
		use, state                  string
		pub, priv                   []byte
		created, activated, retired sql.NullInt64
	)
	if err := row.Scan(&k.TenantID, &k.KID, &k.Alg, &use, &state, &pub, &priv,
		&created, &activated, &retired); err != nil {
		return storage.SigningKey{}, wrapErr(op, err)
	}
	k.Use, k.State = storage.KeyUse(use), storage.KeyState(state)
	k.PublicJWK, k.PrivateSealed = fromBlob(pub), fromBlob(priv)
	k.CreatedAt, k.ActivatedAt, k.RetiredAt = fromUnix(created), fromUnix(activated), fromUnix(retired)
	return k, nil
}

// SetKeyState implements storage.SigningKeys. The UPDATE's WHERE state = ?
// is the compare-and-set; RowsAffected tells the one winner.
func (s *Store) SetKeyState(ctx context.Context, tenantID, kid string, from, to storage.KeyState, at time.Time) error {
	const op = "set key state"
	var stamp string
	switch to {
	case storage.KeyNext:
		stamp = ""
	case storage.KeyCurrent:
		stamp = ", activated_at = ?"
	case storage.KeyRetired:
		stamp = ", retired_at = ?"
	default:
		return fmt.Errorf("sqlstore: %s: unknown state %q", op, to)
	}
	if from == to {
		// Every caller would "win" a no-op move; refuse it so that the
		// exactly-one guarantee holds.
		return fmt.Errorf("sqlstore: %s: from and to are both %q", op, to)
	}
	args := []any{string(to)}
	if stamp != "" {
		args = append(args, unix(at))
	}
	args = append(args, tenantID, kid, string(from))
	n, err := s.exec(ctx, op,
		`UPDATE signing_keys SET state = ?`+stamp+` WHERE tenant_id = ? AND kid = ? AND state = ?`, args...)
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	return s.lostUpdate(ctx, op, `SELECT 1 FROM signing_keys WHERE tenant_id = ? AND kid = ?`, tenantID, kid)
}

// DeleteKey implements storage.SigningKeys.
func (s *Store) DeleteKey(ctx context.Context, tenantID, kid string) error {
	const op = "delete key"
	n, err := s.exec(ctx, op, `DELETE FROM signing_keys WHERE tenant_id = ? AND kid = ?`, tenantID, kid)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}
