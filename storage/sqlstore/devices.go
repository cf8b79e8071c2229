package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// devices is the part of the Store that holds device authorizations.
type devices struct{ *conn }

const deviceColumns = `tenant_id, device_hash, user_code, client_id, scope, resources, status, user_id, auth_time,
	poll_interval, last_poll, slowed, family_id, created_at, expires_at`

// scanDevice reads one row of deviceColumns.
func scanDevice(op string, row rowScanner) (storage.DeviceAuthorization, error) {
	var (
		d                            storage.DeviceAuthorization
		hash                         []byte
		resources, status            string
		user                         sql.NullString
		auth, last, created, expires sql.NullInt64
		slowed                       int64
	)
	err := row.Scan(&d.TenantID, &hash, &d.UserCode, &d.ClientID, &d.Scope, &resources, &status, &user, &auth,
		&d.Interval, &last, &slowed, &d.FamilyID, &created, &expires)
	if err != nil {
		return storage.DeviceAuthorization{}, wrapErr(op, err)
	}
	d.DeviceHash = fromBlob(hash)
	d.Status, d.UserID, d.SlowedDown = storage.DeviceStatus(status), user.String, slowed != 0
	d.AuthTime, d.LastPoll, d.CreatedAt, d.ExpiresAt = fromUnix(auth), fromUnix(last), fromUnix(created), fromUnix(expires)
	if d.Resources, err = fromList(resources); err != nil {
		return storage.DeviceAuthorization{}, fmt.Errorf("sqlstore: %s: decode list: %w", op, err)
	}
	return d, nil
}

// CreateDeviceAuthorization implements storage.DeviceAuthorizations. The
// primary key and the unique user code decide a collision (ON CONFLICT
// DO NOTHING: no row); a missing tenant or client fails its foreign key.
func (s devices) CreateDeviceAuthorization(ctx context.Context, d storage.DeviceAuthorization) error {
	const op = "create device authorization"
	l, err := lists(op, d.Resources)
	if err != nil {
		return err
	}
	status := d.Status
	if status == "" {
		status = storage.DevicePending
	}
	n, err := s.exec(ctx, op,
		`INSERT INTO device_authorizations (`+deviceColumns+`)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		d.TenantID, blob(d.DeviceHash), d.UserCode, d.ClientID, d.Scope, l[0], string(status), nullString(d.UserID), unix(d.AuthTime),
		d.Interval, unix(d.LastPoll), boolInt(d.SlowedDown), d.FamilyID, unix(d.CreatedAt), d.ExpiresAt.Unix())
	if err != nil {
		return err
	}
	if n == 0 {
		return alreadyExists(op)
	}
	return nil
}

// GetDeviceAuthorization implements storage.DeviceAuthorizations.
func (s devices) GetDeviceAuthorization(ctx context.Context, tenantID, userCode string) (storage.DeviceAuthorization, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+deviceColumns+` FROM device_authorizations WHERE tenant_id = ? AND user_code = ?`, tenantID, userCode)
	return scanDevice("get device authorization", row)
}

// DecideDeviceAuthorization implements storage.DeviceAuthorizations: one
// UPDATE whose WHERE clause (pending, unexpired) is the whole decision.
func (s devices) DecideDeviceAuthorization(ctx context.Context, d storage.DeviceDecision) error {
	const op = "decide device authorization"
	status := storage.DeviceDenied
	if d.Approve {
		status = storage.DeviceApproved
	}
	n, err := s.exec(ctx, op,
		`UPDATE device_authorizations SET status = ?, user_id = ?, auth_time = ?
		 WHERE tenant_id = ? AND user_code = ? AND client_id = ? AND status = 'pending' AND expires_at > ?`,
		string(status), nullString(d.UserID), unix(d.AuthTime), d.TenantID, d.UserCode, d.ClientID, d.At.Unix())
	if err != nil {
		return err
	}
	if n == 0 {
		return s.lostUpdate(ctx, op, `SELECT 1 FROM device_authorizations WHERE tenant_id = ? AND user_code = ? AND client_id = ?`,
			d.TenantID, d.UserCode, d.ClientID)
	}
	return nil
}

// PollDeviceAuthorization implements storage.DeviceAuthorizations: one
// UPDATE ... RETURNING. Every expression of its SET reads the row as it
// was, so "too soon" is decided against the previous poll and the interval
// it left.
func (s devices) PollDeviceAuthorization(ctx context.Context, p storage.DevicePoll) (storage.DeviceAuthorization, error) {
	const op = "poll device authorization"
	const tooSoon = `(last_poll IS NOT NULL AND ?1 < last_poll + poll_interval - ?2)`
	row := s.db.QueryRowContext(ctx,
		`UPDATE device_authorizations SET
		   slowed = `+tooSoon+`,
		   poll_interval = poll_interval + CASE WHEN `+tooSoon+` THEN ?3 ELSE 0 END,
		   last_poll = ?1
		 WHERE tenant_id = ?4 AND device_hash = ?5 AND client_id = ?6
		 RETURNING `+deviceColumns,
		p.At.Unix(), int64(p.Leeway/time.Second), int64(p.SlowDown/time.Second), p.TenantID, p.DeviceHash, p.ClientID)
	return scanDevice(op, row)
}

// RedeemDeviceAuthorization implements storage.DeviceAuthorizations in
// one batch. The UPDATE's WHERE clause (approved, unexpired) decides; the
// family and the event are inserted only if the row now holds this call's
// redemption id: this redemption is the one that happened.
func (s devices) RedeemDeviceAuthorization(ctx context.Context, r storage.DeviceRedemption) error {
	const op = "redeem device authorization"
	redemption := rand.Text()
	fid := ""
	if r.Family != nil {
		fid = r.Family.ID
	}
	won := ` AND EXISTS (SELECT 1 FROM device_authorizations WHERE tenant_id = ? AND device_hash = ? AND redemption = ?)`
	wonArgs := []any{r.TenantID, r.DeviceHash, redemption}
	stmts := []stmt{{
		`UPDATE device_authorizations SET status = 'redeemed', family_id = ?, redemption = ?
		 WHERE tenant_id = ? AND device_hash = ? AND client_id = ? AND status = 'approved' AND expires_at > ?`,
		[]any{fid, redemption, r.TenantID, r.DeviceHash, r.ClientID, r.At.Unix()},
	}}
	if r.Family != nil {
		ins := createFamily(*r.Family)
		ins.query += won
		ins.args = append(ins.args, wonArgs...)
		stmts = append(stmts, ins)
	}
	if r.Issued != nil {
		ins := appendAudit(*r.Issued)
		ins.query += won
		ins.args = append(ins.args, wonArgs...)
		stmts = append(stmts, ins)
	}
	n, err := s.batch(ctx, op, stmts...)
	if err != nil {
		return err
	}
	if n[0] == 1 {
		return nil
	}
	return s.lostUpdate(ctx, op, `SELECT 1 FROM device_authorizations WHERE tenant_id = ? AND device_hash = ? AND client_id = ?`,
		r.TenantID, r.DeviceHash, r.ClientID)
}

// PruneDeviceAuthorizations implements storage.DeviceAuthorizations.
func (s devices) PruneDeviceAuthorizations(ctx context.Context, before time.Time) (int64, error) {
	return s.exec(ctx, "prune device authorizations", `DELETE FROM device_authorizations WHERE expires_at < ?`, before.Unix())
}
