package storagecount

import (
	"context"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// Store counts the calls of a storage.Store as D1 reads and writes.
type Store struct {
	next storage.Store
	*Counter
}

var _ storage.Store = (*Store)(nil)

// NewStore wraps next, counting into c (a new Counter if c is nil). Give
// NewKV the same Counter to see a request's D1 and KV calls together.
func NewStore(next storage.Store, c *Counter) *Store {
	if c == nil {
		c = new(Counter)
	}
	return &Store{next: next, Counter: c}
}

// CreateTenant counts one D1 write and calls the wrapped Store.
func (s *Store) CreateTenant(ctx context.Context, t storage.Tenant) error {
	s.write("CreateTenant")
	return s.next.CreateTenant(ctx, t)
}

// GetTenant counts one D1 read and calls the wrapped Store.
func (s *Store) GetTenant(ctx context.Context, id string) (storage.Tenant, error) {
	s.read("GetTenant")
	return s.next.GetTenant(ctx, id)
}

// ListTenants counts one D1 read and calls the wrapped Store.
func (s *Store) ListTenants(ctx context.Context, after string, limit int) ([]storage.Tenant, error) {
	s.read("ListTenants")
	return s.next.ListTenants(ctx, after, limit)
}

// UpdateTenant counts one D1 write and calls the wrapped Store.
func (s *Store) UpdateTenant(ctx context.Context, t storage.Tenant) error {
	s.write("UpdateTenant")
	return s.next.UpdateTenant(ctx, t)
}

// DeleteTenant counts one D1 write and calls the wrapped Store.
func (s *Store) DeleteTenant(ctx context.Context, id string) error {
	s.write("DeleteTenant")
	return s.next.DeleteTenant(ctx, id)
}

// CreateClient counts one D1 write and calls the wrapped Store.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	s.write("CreateClient")
	return s.next.CreateClient(ctx, c)
}

// RegisterClient counts one D1 write and calls the wrapped Store.
func (s *Store) RegisterClient(ctx context.Context, c storage.Client, max int) error {
	s.write("RegisterClient")
	return s.next.RegisterClient(ctx, c, max)
}

// GetClient counts one D1 read and calls the wrapped Store.
func (s *Store) GetClient(ctx context.Context, tenantID, id string) (storage.Client, error) {
	s.read("GetClient")
	return s.next.GetClient(ctx, tenantID, id)
}

// ListClients counts one D1 read and calls the wrapped Store.
func (s *Store) ListClients(ctx context.Context, tenantID string) ([]storage.Client, error) {
	s.read("ListClients")
	return s.next.ListClients(ctx, tenantID)
}

// UpdateClient counts one D1 write and calls the wrapped Store.
func (s *Store) UpdateClient(ctx context.Context, c storage.Client) error {
	s.write("UpdateClient")
	return s.next.UpdateClient(ctx, c)
}

// DeleteClient counts one D1 write and calls the wrapped Store.
func (s *Store) DeleteClient(ctx context.Context, tenantID, id string) error {
	s.write("DeleteClient")
	return s.next.DeleteClient(ctx, tenantID, id)
}

// CreateUser counts one D1 write and calls the wrapped Store.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	s.write("CreateUser")
	return s.next.CreateUser(ctx, u)
}

// GetUser counts one D1 read and calls the wrapped Store.
func (s *Store) GetUser(ctx context.Context, tenantID, id string) (storage.User, error) {
	s.read("GetUser")
	return s.next.GetUser(ctx, tenantID, id)
}

// DeleteUser counts one D1 write and calls the wrapped Store.
func (s *Store) DeleteUser(ctx context.Context, tenantID, id string) error {
	s.write("DeleteUser")
	return s.next.DeleteUser(ctx, tenantID, id)
}

// CreateKey counts one D1 write and calls the wrapped Store.
func (s *Store) CreateKey(ctx context.Context, k storage.SigningKey) error {
	s.write("CreateKey")
	return s.next.CreateKey(ctx, k)
}

// ListKeys counts one D1 read and calls the wrapped Store.
func (s *Store) ListKeys(ctx context.Context, tenantID string) ([]storage.SigningKey, error) {
	s.read("ListKeys")
	return s.next.ListKeys(ctx, tenantID)
}

// SetKeyState counts one D1 write and calls the wrapped Store.
func (s *Store) SetKeyState(ctx context.Context, tenantID, kid string, from, to storage.KeyState, at time.Time) error {
	s.write("SetKeyState")
	return s.next.SetKeyState(ctx, tenantID, kid, from, to, at)
}

// DeleteKey counts one D1 write and calls the wrapped Store.
func (s *Store) DeleteKey(ctx context.Context, tenantID, kid string) error {
	s.write("DeleteKey")
	return s.next.DeleteKey(ctx, tenantID, kid)
}

// RedeemCode counts one D1 write (one batch, whatever it carries) and
// calls the wrapped Store.
func (s *Store) RedeemCode(ctx context.Context, r storage.Redemption, f *storage.RefreshFamily, issued *storage.AuditEvent) error {
	s.write("RedeemCode")
	return s.next.RedeemCode(ctx, r, f, issued)
}

// GetRedemption counts one D1 read and calls the wrapped Store.
func (s *Store) GetRedemption(ctx context.Context, tenantID string, codeHash []byte) (storage.Redemption, error) {
	s.read("GetRedemption")
	return s.next.GetRedemption(ctx, tenantID, codeHash)
}

// CreateRefreshFamily counts one D1 write and calls the wrapped Store.
func (s *Store) CreateRefreshFamily(ctx context.Context, f storage.RefreshFamily) error {
	s.write("CreateRefreshFamily")
	return s.next.CreateRefreshFamily(ctx, f)
}

// GetRefreshGrant counts one D1 read and calls the wrapped Store.
func (s *Store) GetRefreshGrant(ctx context.Context, tenantID, id string) (storage.RefreshFamily, *storage.User, error) {
	s.read("GetRefreshGrant")
	return s.next.GetRefreshGrant(ctx, tenantID, id)
}

// GetRefreshFamily counts one D1 read and calls the wrapped Store.
func (s *Store) GetRefreshFamily(ctx context.Context, tenantID, id string) (storage.RefreshFamily, error) {
	s.read("GetRefreshFamily")
	return s.next.GetRefreshFamily(ctx, tenantID, id)
}

// RotateRefreshToken counts one D1 write (one batch: the rotation, the
// audit event and the read back) and calls the wrapped Store.
func (s *Store) RotateRefreshToken(ctx context.Context, r storage.Rotation) (storage.RefreshFamily, *storage.User, error) {
	s.write("RotateRefreshToken")
	return s.next.RotateRefreshToken(ctx, r)
}

// RevokeRefreshFamily counts one D1 write and calls the wrapped Store.
func (s *Store) RevokeRefreshFamily(ctx context.Context, tenantID, id string, now time.Time) error {
	s.write("RevokeRefreshFamily")
	return s.next.RevokeRefreshFamily(ctx, tenantID, id, now)
}

// GetConsent counts one D1 read and calls the wrapped Store.
func (s *Store) GetConsent(ctx context.Context, tenantID, userID, clientID string) (storage.Consent, error) {
	s.read("GetConsent")
	return s.next.GetConsent(ctx, tenantID, userID, clientID)
}

// PutConsent counts one D1 write and calls the wrapped Store.
func (s *Store) PutConsent(ctx context.Context, c storage.Consent) error {
	s.write("PutConsent")
	return s.next.PutConsent(ctx, c)
}

// AppendAudit counts one D1 write and calls the wrapped Store.
func (s *Store) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	s.write("AppendAudit")
	return s.next.AppendAudit(ctx, e)
}

// CountAudit counts one D1 write (one batch) and calls the wrapped Store.
func (s *Store) CountAudit(ctx context.Context, e storage.AuditEvent, t storage.Tally) error {
	s.write("CountAudit")
	return s.next.CountAudit(ctx, e, t)
}

// ListAudit counts one D1 read and calls the wrapped Store.
func (s *Store) ListAudit(ctx context.Context, q storage.AuditQuery) ([]storage.AuditEvent, error) {
	s.read("ListAudit")
	return s.next.ListAudit(ctx, q)
}

// PruneAudit counts one D1 write and calls the wrapped Store.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	s.write("PruneAudit")
	return s.next.PruneAudit(ctx, before)
}

// PruneLoginFailures counts one D1 write and calls the wrapped Store.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time) (int64, error) {
	s.write("PruneLoginFailures")
	return s.next.PruneLoginFailures(ctx, before)
}

// PruneExpired counts one D1 write (one batch of two deletes) and calls
// the wrapped Store.
func (s *Store) PruneExpired(ctx context.Context, before time.Time) (redemptions, families int64, err error) {
	s.write("PruneExpired")
	return s.next.PruneExpired(ctx, before)
}

// RecordLoginFailure counts one D1 write and calls the wrapped Store.
func (s *Store) RecordLoginFailure(ctx context.Context, a storage.LoginAttempt) (storage.LoginStreaks, error) {
	s.write("RecordLoginFailure")
	return s.next.RecordLoginFailure(ctx, a)
}

// GetLoginState counts one D1 read and calls the wrapped Store.
func (s *Store) GetLoginState(ctx context.Context, tenantID, username, source string) (storage.LoginState, error) {
	s.read("GetLoginState")
	return s.next.GetLoginState(ctx, tenantID, username, source)
}

// ResetLoginFailures counts one D1 write and calls the wrapped Store.
func (s *Store) ResetLoginFailures(ctx context.Context, tenantID, username string) error {
	s.write("ResetLoginFailures")
	return s.next.ResetLoginFailures(ctx, tenantID, username)
}

// SetUserDisabled counts one D1 write and calls the wrapped Store.
func (s *Store) SetUserDisabled(ctx context.Context, tenantID, id string, disabled bool, at time.Time) error {
	s.write("SetUserDisabled")
	return s.next.SetUserDisabled(ctx, tenantID, id, disabled, at)
}

// ListGrants counts one D1 read and calls the wrapped Store.
func (s *Store) ListGrants(ctx context.Context, tenantID, userID string, now time.Time) ([]storage.RefreshFamily, error) {
	s.read("ListGrants")
	return s.next.ListGrants(ctx, tenantID, userID, now)
}

// RevokeGrants counts one D1 write and calls the wrapped Store.
func (s *Store) RevokeGrants(ctx context.Context, q storage.GrantQuery, at time.Time) (int64, error) {
	s.write("RevokeGrants")
	return s.next.RevokeGrants(ctx, q, at)
}

// ListConsents counts one D1 read and calls the wrapped Store.
func (s *Store) ListConsents(ctx context.Context, tenantID, userID string) ([]storage.Consent, error) {
	s.read("ListConsents")
	return s.next.ListConsents(ctx, tenantID, userID)
}

// RevokeConsents counts one D1 write and calls the wrapped Store.
func (s *Store) RevokeConsents(ctx context.Context, tenantID, userID, clientID string, at time.Time) (int64, int64, error) {
	s.write("RevokeConsents")
	return s.next.RevokeConsents(ctx, tenantID, userID, clientID, at)
}

// CreateSession counts one D1 write and calls the wrapped Store.
func (s *Store) CreateSession(ctx context.Context, se storage.Session, keep int) error {
	s.write("CreateSession")
	return s.next.CreateSession(ctx, se, keep)
}

// GetSession counts one D1 read and calls the wrapped Store.
func (s *Store) GetSession(ctx context.Context, tenantID, id string) (storage.Session, storage.User, error) {
	s.read("GetSession")
	return s.next.GetSession(ctx, tenantID, id)
}

// ListSessions counts one D1 read and calls the wrapped Store.
func (s *Store) ListSessions(ctx context.Context, tenantID, userID string, now time.Time) ([]storage.Session, error) {
	s.read("ListSessions")
	return s.next.ListSessions(ctx, tenantID, userID, now)
}

// EndSessions counts one D1 write and calls the wrapped Store.
func (s *Store) EndSessions(ctx context.Context, q storage.SessionQuery, at time.Time) (int64, int64, error) {
	s.write("EndSessions")
	return s.next.EndSessions(ctx, q, at)
}

// PruneSessions counts one D1 write and calls the wrapped Store.
func (s *Store) PruneSessions(ctx context.Context, before time.Time) (int64, error) {
	s.write("PruneSessions")
	return s.next.PruneSessions(ctx, before)
}

// CreateDeviceAuthorization counts one D1 write and calls the wrapped
// Store.
func (s *Store) CreateDeviceAuthorization(ctx context.Context, d storage.DeviceAuthorization) error {
	s.write("CreateDeviceAuthorization")
	return s.next.CreateDeviceAuthorization(ctx, d)
}

// GetDeviceAuthorization counts one D1 read and calls the wrapped Store.
func (s *Store) GetDeviceAuthorization(ctx context.Context, tenantID, userCode string) (storage.DeviceAuthorization, error) {
	s.read("GetDeviceAuthorization")
	return s.next.GetDeviceAuthorization(ctx, tenantID, userCode)
}

// DecideDeviceAuthorization counts one D1 write and calls the wrapped
// Store.
func (s *Store) DecideDeviceAuthorization(ctx context.Context, d storage.DeviceDecision) error {
	s.write("DecideDeviceAuthorization")
	return s.next.DecideDeviceAuthorization(ctx, d)
}

// PollDeviceAuthorization counts one D1 write (an UPDATE ... RETURNING)
// and calls the wrapped Store.
func (s *Store) PollDeviceAuthorization(ctx context.Context, p storage.DevicePoll) (storage.DeviceAuthorization, error) {
	s.write("PollDeviceAuthorization")
	return s.next.PollDeviceAuthorization(ctx, p)
}

// RedeemDeviceAuthorization counts one D1 write (one batch) and calls the
// wrapped Store.
func (s *Store) RedeemDeviceAuthorization(ctx context.Context, r storage.DeviceRedemption) error {
	s.write("RedeemDeviceAuthorization")
	return s.next.RedeemDeviceAuthorization(ctx, r)
}

// PruneDeviceAuthorizations counts one D1 write and calls the wrapped
// Store.
func (s *Store) PruneDeviceAuthorizations(ctx context.Context, before time.Time) (int64, error) {
	s.write("PruneDeviceAuthorizations")
	return s.next.PruneDeviceAuthorizations(ctx, before)
}

// CreateConnection counts one D1 write and calls the wrapped Store.
func (s *Store) CreateConnection(ctx context.Context, c storage.Connection) error {
	s.write("CreateConnection")
	return s.next.CreateConnection(ctx, c)
}

// GetConnection counts one D1 read and calls the wrapped Store.
func (s *Store) GetConnection(ctx context.Context, tenantID, id string) (storage.Connection, error) {
	s.read("GetConnection")
	return s.next.GetConnection(ctx, tenantID, id)
}

// ListConnections counts one D1 read and calls the wrapped Store.
func (s *Store) ListConnections(ctx context.Context, tenantID string) ([]storage.Connection, error) {
	s.read("ListConnections")
	return s.next.ListConnections(ctx, tenantID)
}

// UpdateConnection counts one D1 write and calls the wrapped Store.
func (s *Store) UpdateConnection(ctx context.Context, c storage.Connection) error {
	s.write("UpdateConnection")
	return s.next.UpdateConnection(ctx, c)
}

// DeleteConnection counts one D1 write and calls the wrapped Store.
func (s *Store) DeleteConnection(ctx context.Context, tenantID, id string) error {
	s.write("DeleteConnection")
	return s.next.DeleteConnection(ctx, tenantID, id)
}

// GetIdentity counts one D1 read and calls the wrapped Store.
func (s *Store) GetIdentity(ctx context.Context, tenantID, connectionID, subject string) (storage.Identity, storage.User, error) {
	s.read("GetIdentity")
	return s.next.GetIdentity(ctx, tenantID, connectionID, subject)
}

// CreateIdentity counts one D1 write (one statement, or one batch with a new user) and calls the wrapped Store.
func (s *Store) CreateIdentity(ctx context.Context, n storage.NewIdentity) (string, error) {
	s.write("CreateIdentity")
	return s.next.CreateIdentity(ctx, n)
}

// UpdateIdentity counts one D1 write (one batch) and calls the wrapped Store.
func (s *Store) UpdateIdentity(ctx context.Context, id storage.Identity) error {
	s.write("UpdateIdentity")
	return s.next.UpdateIdentity(ctx, id)
}

// ListIdentities counts one D1 read and calls the wrapped Store.
func (s *Store) ListIdentities(ctx context.Context, tenantID, userID string) ([]storage.Identity, error) {
	s.read("ListIdentities")
	return s.next.ListIdentities(ctx, tenantID, userID)
}

// DeleteIdentity counts one D1 write and calls the wrapped Store.
func (s *Store) DeleteIdentity(ctx context.Context, tenantID, userID, connectionID string) error {
	s.write("DeleteIdentity")
	return s.next.DeleteIdentity(ctx, tenantID, userID, connectionID)
}

// PruneIdentityTokens counts one D1 write and calls the wrapped Store.
func (s *Store) PruneIdentityTokens(ctx context.Context, before time.Time) (int64, error) {
	s.write("PruneIdentityTokens")
	return s.next.PruneIdentityTokens(ctx, before)
}

// ListUsers counts one D1 read and calls the wrapped Store.
func (s *Store) ListUsers(ctx context.Context, tenantID string, q storage.UserQuery) ([]storage.User, error) {
	s.read("ListUsers")
	return s.next.ListUsers(ctx, tenantID, q)
}

// PatchUser counts one D1 write and calls the wrapped Store.
func (s *Store) PatchUser(ctx context.Context, tenantID, id string, p storage.UserPatch) (storage.User, error) {
	s.write("PatchUser")
	return s.next.PatchUser(ctx, tenantID, id, p)
}
