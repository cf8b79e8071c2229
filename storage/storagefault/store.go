// The wrappers of storage.Store's methods: each fails when its call is the
// armed one, else calls through.

package storagefault

import (
	"context"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

var _ storage.Store = Store{}

// CreateTenant fails when armed, else calls through.
func (s Store) CreateTenant(ctx context.Context, t storage.Tenant) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.CreateTenant(ctx, t)
}

// GetTenant fails when armed, else calls through.
func (s Store) GetTenant(ctx context.Context, id string) (storage.Tenant, error) {
	if err := s.In.hit(); err != nil {
		return storage.Tenant{}, err
	}
	return s.Store.GetTenant(ctx, id)
}

// ListTenants fails when armed, else calls through.
func (s Store) ListTenants(ctx context.Context, after string, limit int) ([]storage.Tenant, error) {
	if err := s.In.hit(); err != nil {
		return nil, err
	}
	return s.Store.ListTenants(ctx, after, limit)
}

// UpdateTenant fails when armed, else calls through.
func (s Store) UpdateTenant(ctx context.Context, t storage.Tenant) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.UpdateTenant(ctx, t)
}

// DeleteTenant fails when armed, else calls through.
func (s Store) DeleteTenant(ctx context.Context, id string) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.DeleteTenant(ctx, id)
}

// CreateClient fails when armed, else calls through.
func (s Store) CreateClient(ctx context.Context, c storage.Client) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.CreateClient(ctx, c)
}

// RegisterClient fails when armed, else calls through.
func (s Store) RegisterClient(ctx context.Context, c storage.Client, max int) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.RegisterClient(ctx, c, max)
}

// GetClient fails when armed, else calls through.
func (s Store) GetClient(ctx context.Context, tenantID, id string) (storage.Client, error) {
	if err := s.In.hit(); err != nil {
		return storage.Client{}, err
	}
	return s.Store.GetClient(ctx, tenantID, id)
}

// ListClients fails when armed, else calls through.
func (s Store) ListClients(ctx context.Context, tenantID string) ([]storage.Client, error) {
	if err := s.In.hit(); err != nil {
		return nil, err
	}
	return s.Store.ListClients(ctx, tenantID)
}

// UpdateClient fails when armed, else calls through.
func (s Store) UpdateClient(ctx context.Context, c storage.Client) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.UpdateClient(ctx, c)
}

// DeleteClient fails when armed, else calls through.
func (s Store) DeleteClient(ctx context.Context, tenantID, id string) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.DeleteClient(ctx, tenantID, id)
}

// CreateUser fails when armed, else calls through.
func (s Store) CreateUser(ctx context.Context, u storage.User) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.CreateUser(ctx, u)
}

// GetUser fails when armed, else calls through.
func (s Store) GetUser(ctx context.Context, tenantID, id string) (storage.User, error) {
	if err := s.In.hit(); err != nil {
		return storage.User{}, err
	}
	return s.Store.GetUser(ctx, tenantID, id)
}

// DeleteUser fails when armed, else calls through.
func (s Store) DeleteUser(ctx context.Context, tenantID, id string) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.DeleteUser(ctx, tenantID, id)
}

// CreateKey fails when armed, else calls through.
func (s Store) CreateKey(ctx context.Context, k storage.SigningKey) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.CreateKey(ctx, k)
}

// ListKeys fails when armed, else calls through.
func (s Store) ListKeys(ctx context.Context, tenantID string) ([]storage.SigningKey, error) {
	if err := s.In.hit(); err != nil {
		return nil, err
	}
	return s.Store.ListKeys(ctx, tenantID)
}

// SetKeyState fails when armed, else calls through.
func (s Store) SetKeyState(ctx context.Context, tenantID, kid string, from, to storage.KeyState, at time.Time) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.SetKeyState(ctx, tenantID, kid, from, to, at)
}

// DeleteKey fails when armed, else calls through.
func (s Store) DeleteKey(ctx context.Context, tenantID, kid string) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.DeleteKey(ctx, tenantID, kid)
}

// RedeemCode fails when armed, else calls through.
func (s Store) RedeemCode(ctx context.Context, r storage.Redemption, f *storage.RefreshFamily, issued *storage.AuditEvent) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.RedeemCode(ctx, r, f, issued)
}

// GetRedemption fails when armed, else calls through.
func (s Store) GetRedemption(ctx context.Context, tenantID string, codeHash []byte) (storage.Redemption, error) {
	if err := s.In.hit(); err != nil {
		return storage.Redemption{}, err
	}
	return s.Store.GetRedemption(ctx, tenantID, codeHash)
}

// CreateRefreshFamily fails when armed, else calls through.
func (s Store) CreateRefreshFamily(ctx context.Context, f storage.RefreshFamily) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.CreateRefreshFamily(ctx, f)
}

// GetRefreshGrant fails when armed, else calls through.
func (s Store) GetRefreshGrant(ctx context.Context, tenantID, id string) (storage.RefreshFamily, *storage.User, error) {
	if err := s.In.hit(); err != nil {
		return storage.RefreshFamily{}, nil, err
	}
	return s.Store.GetRefreshGrant(ctx, tenantID, id)
}

// GetRefreshFamily fails when armed, else calls through.
func (s Store) GetRefreshFamily(ctx context.Context, tenantID, id string) (storage.RefreshFamily, error) {
	if err := s.In.hit(); err != nil {
		return storage.RefreshFamily{}, err
	}
	return s.Store.GetRefreshFamily(ctx, tenantID, id)
}

// RotateRefreshToken fails when armed, else calls through.
func (s Store) RotateRefreshToken(ctx context.Context, r storage.Rotation) (storage.RefreshFamily, *storage.User, error) {
	if err := s.In.hit(); err != nil {
		return storage.RefreshFamily{}, nil, err
	}
	return s.Store.RotateRefreshToken(ctx, r)
}

// RevokeRefreshFamily fails when armed, else calls through.
func (s Store) RevokeRefreshFamily(ctx context.Context, tenantID, id string, now time.Time) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.RevokeRefreshFamily(ctx, tenantID, id, now)
}

// GetConsent fails when armed, else calls through.
func (s Store) GetConsent(ctx context.Context, tenantID, userID, clientID string) (storage.Consent, error) {
	if err := s.In.hit(); err != nil {
		return storage.Consent{}, err
	}
	return s.Store.GetConsent(ctx, tenantID, userID, clientID)
}

// PutConsent fails when armed, else calls through.
func (s Store) PutConsent(ctx context.Context, c storage.Consent) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.PutConsent(ctx, c)
}

// AppendAudit fails when armed, else calls through.
func (s Store) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.AppendAudit(ctx, e)
}

// CountAudit fails when armed, else calls through.
func (s Store) CountAudit(ctx context.Context, e storage.AuditEvent, t storage.Tally) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.CountAudit(ctx, e, t)
}

// ListAudit fails when armed, else calls through.
func (s Store) ListAudit(ctx context.Context, q storage.AuditQuery) ([]storage.AuditEvent, error) {
	if err := s.In.hit(); err != nil {
		return nil, err
	}
	return s.Store.ListAudit(ctx, q)
}

// PruneAudit fails when armed, else calls through.
func (s Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	if err := s.In.hit(); err != nil {
		return 0, err
	}
	return s.Store.PruneAudit(ctx, before)
}

// PruneLoginFailures fails when armed, else calls through.
func (s Store) PruneLoginFailures(ctx context.Context, before time.Time) (int64, error) {
	if err := s.In.hit(); err != nil {
		return 0, err
	}
	return s.Store.PruneLoginFailures(ctx, before)
}

// PruneExpired fails when armed, else calls through.
func (s Store) PruneExpired(ctx context.Context, before time.Time) (redemptions, families int64, err error) {
	if err := s.In.hit(); err != nil {
		return 0, 0, err
	}
	return s.Store.PruneExpired(ctx, before)
}

// RecordLoginFailure fails when armed, else calls through.
func (s Store) RecordLoginFailure(ctx context.Context, a storage.LoginAttempt) (storage.LoginStreaks, error) {
	if err := s.In.hit(); err != nil {
		return storage.LoginStreaks{}, err
	}
	return s.Store.RecordLoginFailure(ctx, a)
}

// GetLoginState fails when armed, else calls through.
func (s Store) GetLoginState(ctx context.Context, tenantID, username, source string) (storage.LoginState, error) {
	if err := s.In.hit(); err != nil {
		return storage.LoginState{}, err
	}
	return s.Store.GetLoginState(ctx, tenantID, username, source)
}

// ResetLoginFailures fails when armed, else calls through.
func (s Store) ResetLoginFailures(ctx context.Context, tenantID, username string) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.ResetLoginFailures(ctx, tenantID, username)
}

// SetUserDisabled fails when armed, else calls through.
func (s Store) SetUserDisabled(ctx context.Context, tenantID, id string, disabled bool, at time.Time) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.SetUserDisabled(ctx, tenantID, id, disabled, at)
}

// ListGrants fails when armed, else calls through.
func (s Store) ListGrants(ctx context.Context, tenantID, userID string, now time.Time) ([]storage.RefreshFamily, error) {
	if err := s.In.hit(); err != nil {
		return nil, err
	}
	return s.Store.ListGrants(ctx, tenantID, userID, now)
}

// RevokeGrants fails when armed, else calls through.
func (s Store) RevokeGrants(ctx context.Context, q storage.GrantQuery, at time.Time) (int64, error) {
	if err := s.In.hit(); err != nil {
		return 0, err
	}
	return s.Store.RevokeGrants(ctx, q, at)
}

// ListConsents fails when armed, else calls through.
func (s Store) ListConsents(ctx context.Context, tenantID, userID string) ([]storage.Consent, error) {
	if err := s.In.hit(); err != nil {
		return nil, err
	}
	return s.Store.ListConsents(ctx, tenantID, userID)
}

// RevokeConsents fails when armed, else calls through.
func (s Store) RevokeConsents(ctx context.Context, tenantID, userID, clientID string, at time.Time) (int64, int64, error) {
	if err := s.In.hit(); err != nil {
		return 0, 0, err
	}
	return s.Store.RevokeConsents(ctx, tenantID, userID, clientID, at)
}

// CreateSession fails when armed, else calls through.
func (s Store) CreateSession(ctx context.Context, se storage.Session, keep int) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.CreateSession(ctx, se, keep)
}

// GetSession fails when armed, else calls through.
func (s Store) GetSession(ctx context.Context, tenantID, id string) (storage.Session, storage.User, error) {
	if err := s.In.hit(); err != nil {
		return storage.Session{}, storage.User{}, err
	}
	return s.Store.GetSession(ctx, tenantID, id)
}

// ListSessions fails when armed, else calls through.
func (s Store) ListSessions(ctx context.Context, tenantID, userID string, now time.Time) ([]storage.Session, error) {
	if err := s.In.hit(); err != nil {
		return nil, err
	}
	return s.Store.ListSessions(ctx, tenantID, userID, now)
}

// EndSessions fails when armed, else calls through.
func (s Store) EndSessions(ctx context.Context, q storage.SessionQuery, at time.Time) (int64, int64, error) {
	if err := s.In.hit(); err != nil {
		return 0, 0, err
	}
	return s.Store.EndSessions(ctx, q, at)
}

// PruneSessions fails when armed, else calls through.
func (s Store) PruneSessions(ctx context.Context, before time.Time) (int64, error) {
	if err := s.In.hit(); err != nil {
		return 0, err
	}
	return s.Store.PruneSessions(ctx, before)
}

// CreateDeviceAuthorization fails when armed, else calls through.
func (s Store) CreateDeviceAuthorization(ctx context.Context, d storage.DeviceAuthorization) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.CreateDeviceAuthorization(ctx, d)
}

// GetDeviceAuthorization fails when armed, else calls through.
func (s Store) GetDeviceAuthorization(ctx context.Context, tenantID, userCode string) (storage.DeviceAuthorization, error) {
	if err := s.In.hit(); err != nil {
		return storage.DeviceAuthorization{}, err
	}
	return s.Store.GetDeviceAuthorization(ctx, tenantID, userCode)
}

// DecideDeviceAuthorization fails when armed, else calls through.
func (s Store) DecideDeviceAuthorization(ctx context.Context, d storage.DeviceDecision) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.DecideDeviceAuthorization(ctx, d)
}

// PollDeviceAuthorization fails when armed, else calls through.
func (s Store) PollDeviceAuthorization(ctx context.Context, p storage.DevicePoll) (storage.DeviceAuthorization, error) {
	if err := s.In.hit(); err != nil {
		return storage.DeviceAuthorization{}, err
	}
	return s.Store.PollDeviceAuthorization(ctx, p)
}

// RedeemDeviceAuthorization fails when armed, else calls through.
func (s Store) RedeemDeviceAuthorization(ctx context.Context, r storage.DeviceRedemption) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.RedeemDeviceAuthorization(ctx, r)
}

// PruneDeviceAuthorizations fails when armed, else calls through.
func (s Store) PruneDeviceAuthorizations(ctx context.Context, before time.Time) (int64, error) {
	if err := s.In.hit(); err != nil {
		return 0, err
	}
	return s.Store.PruneDeviceAuthorizations(ctx, before)
}

// CreateConnection fails when armed, else calls through.
func (s Store) CreateConnection(ctx context.Context, c storage.Connection) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.CreateConnection(ctx, c)
}

// GetConnection fails when armed, else calls through.
func (s Store) GetConnection(ctx context.Context, tenantID, id string) (storage.Connection, error) {
	if err := s.In.hit(); err != nil {
		return storage.Connection{}, err
	}
	return s.Store.GetConnection(ctx, tenantID, id)
}

// ListConnections fails when armed, else calls through.
func (s Store) ListConnections(ctx context.Context, tenantID string) ([]storage.Connection, error) {
	if err := s.In.hit(); err != nil {
		return nil, err
	}
	return s.Store.ListConnections(ctx, tenantID)
}

// UpdateConnection fails when armed, else calls through.
func (s Store) UpdateConnection(ctx context.Context, c storage.Connection) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.UpdateConnection(ctx, c)
}

// DeleteConnection fails when armed, else calls through.
func (s Store) DeleteConnection(ctx context.Context, tenantID, id string) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.DeleteConnection(ctx, tenantID, id)
}

// GetIdentity fails when armed, else calls through.
func (s Store) GetIdentity(ctx context.Context, tenantID, connectionID, subject string) (storage.Identity, storage.User, error) {
	if err := s.In.hit(); err != nil {
		return storage.Identity{}, storage.User{}, err
	}
	return s.Store.GetIdentity(ctx, tenantID, connectionID, subject)
}

// CreateIdentity fails when armed, else calls through.
func (s Store) CreateIdentity(ctx context.Context, n storage.NewIdentity) (string, error) {
	if err := s.In.hit(); err != nil {
		return "", err
	}
	return s.Store.CreateIdentity(ctx, n)
}

// UpdateIdentity fails when armed, else calls through.
func (s Store) UpdateIdentity(ctx context.Context, id storage.Identity) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.UpdateIdentity(ctx, id)
}

// ListIdentities fails when armed, else calls through.
func (s Store) ListIdentities(ctx context.Context, tenantID, userID string) ([]storage.Identity, error) {
	if err := s.In.hit(); err != nil {
		return nil, err
	}
	return s.Store.ListIdentities(ctx, tenantID, userID)
}

// DeleteIdentity fails when armed, else calls through.
func (s Store) DeleteIdentity(ctx context.Context, tenantID, userID, connectionID string) error {
	if err := s.In.hit(); err != nil {
		return err
	}
	return s.Store.DeleteIdentity(ctx, tenantID, userID, connectionID)
}

// PruneIdentityTokens fails when armed, else calls through.
func (s Store) PruneIdentityTokens(ctx context.Context, before time.Time) (int64, error) {
	if err := s.In.hit(); err != nil {
		return 0, err
	}
	return s.Store.PruneIdentityTokens(ctx, before)
}

// ListUsers fails when armed, else calls through.
func (s Store) ListUsers(ctx context.Context, tenantID string, q storage.UserQuery) ([]storage.User, error) {
	if err := s.In.hit(); err != nil {
		return nil, err
	}
	return s.Store.ListUsers(ctx, tenantID, q)
}

// PatchUser fails when armed, else calls through.
func (s Store) PatchUser(ctx context.Context, tenantID, id string, p storage.UserPatch) (storage.User, error) {
	if err := s.In.hit(); err != nil {
		return storage.User{}, err
	}
	return s.Store.PatchUser(ctx, tenantID, id, p)
}
