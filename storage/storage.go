package storage

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap them with %w; callers use errors.Is.
var (
	// ErrNotFound is returned when the record asked for does not exist.
	ErrNotFound = errors.New("storage: not found")
	// ErrAlreadyExists is returned when a create would duplicate a unique key.
	ErrAlreadyExists = errors.New("storage: already exists")
	// ErrConflict is returned when a compare-and-set lost: the record exists
	// but was not in the state the caller expected.
	ErrConflict = errors.New("storage: conflict")
)

// Store is every SQL-backed concern together. The Worker backs it with D1,
// the native server with SQLite; both run the same SQL.
type Store interface {
	Tenants
	Clients
	Users
	SigningKeys
	Codes
	RefreshTokens
	Consents
	Audit
	Lockouts
	Sessions
	DeviceAuthorizations
	Connections
	Identities

	// PruneExpired deletes, for every tenant, the code redemptions and the
	// refresh families whose ExpiresAt is before before, and reports how
	// many of each. It is one atomic step. Pruning again with the same
	// before deletes nothing. A row with no ExpiresAt (zero) is never
	// pruned. The scheduled job calls it with the current time.
	//
	// Why each row may go:
	//   - A redemption exists so that its code is spent once and a replay
	//     of the code is recognized (and revokes the family it issued).
	//     Its ExpiresAt comes after the code's own expiry, so once that
	//     has passed the code is refused as expired whether or not the row
	//     exists: the row can decide nothing more. (A replay after that is
	//     an expired code, no longer reported as a replay.)
	//   - An expired family can never issue a token again:
	//     RotateRefreshToken refuses it from ExpiresAt on. Reuse detection
	//     and the revocation of a replayed code's family only protect a
	//     family that could still be used, and revoking a family that is
	//     gone is ErrNotFound, which those callers already accept.
	//   - A revoked family that has not expired stays until it expires:
	//     GetRefreshFamily and GetRefreshGrant return revoked families,
	//     and reuse detection and replay revocation read them, so until
	//     its expiry a revoked family is still seen as revoked rather than
	//     unknown. Only ExpiresAt decides; RevokedAt does not.
	PruneExpired(ctx context.Context, before time.Time) (redemptions, families int64, err error)
}

// Tenants stores tenants. Deleting a tenant deletes everything it owns in the
// same statement (foreign keys with ON DELETE CASCADE).
type Tenants interface {
	// CreateTenant inserts t. ErrAlreadyExists if t.ID is taken; of N
	// concurrent creators of one id exactly one succeeds.
	CreateTenant(ctx context.Context, t Tenant) error
	// GetTenant returns the tenant with id, or ErrNotFound.
	GetTenant(ctx context.Context, id string) (Tenant, error)
	// ListTenants returns up to limit tenants whose ID sorts after after,
	// ordered by ID: a page of a walk over all tenants (the key-rotation
	// cron uses it).
	ListTenants(ctx context.Context, after string, limit int) ([]Tenant, error)
	// UpdateTenant replaces Name, Settings and UpdatedAt of the tenant t.ID
	// if its Version is still t.Version, and counts it up: a
	// compare-and-set, so that of two read-modify-write changes at once one
	// fails instead of undoing the other. ErrConflict if the tenant changed
	// since t was read; ErrNotFound if it does not exist.
	UpdateTenant(ctx context.Context, t Tenant) error
	// DeleteTenant deletes the tenant and, in the same statement, its
	// clients, users, keys, refresh families, redemptions, consents and
	// sessions;
	// its audit events stay (Audit). ErrNotFound if it does not exist.
	DeleteTenant(ctx context.Context, id string) error
}

// Clients stores OAuth clients, keyed by (TenantID, ID).
type Clients interface {
	// CreateClient inserts c. ErrNotFound if the tenant does not exist,
	// ErrAlreadyExists if the id is taken in that tenant.
	CreateClient(ctx context.Context, c Client) error
	// RegisterClient is CreateClient for a client that registered itself
	// (c.Dynamic), which nobody may have vetted: it is inserted only while
	// its tenant has fewer than max dynamic clients, else ErrConflict,
	// decided with the insert (concurrent ones never pass max together).
	RegisterClient(ctx context.Context, c Client, max int) error
	// GetClient returns one client or ErrNotFound.
	GetClient(ctx context.Context, tenantID, id string) (Client, error)
	// ListClients returns the tenant's clients ordered by ID.
	ListClients(ctx context.Context, tenantID string) ([]Client, error)
	// UpdateClient replaces every mutable field of c (all but TenantID, ID,
	// CreatedAt and Version), including SecretHash, if the client's Version
	// is still c.Version, and counts it up (a compare-and-set, as
	// UpdateTenant). ErrConflict if the client changed since c was read;
	// ErrNotFound if it does not exist.
	UpdateClient(ctx context.Context, c Client) error
	// DeleteClient deletes one client (and its consents, refresh families).
	// ErrNotFound if it does not exist.
	DeleteClient(ctx context.Context, tenantID, id string) error
}

// Users stores a tenant's end users. Usernames are unique per tenant.
type Users interface {
	// CreateUser inserts u. ErrNotFound if the tenant does not exist,
	// ErrAlreadyExists if the id or the username is taken in that tenant.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns a user by id, or ErrNotFound.
	GetUser(ctx context.Context, tenantID, id string) (User, error)
	// ListUsers returns a page of the tenant's users ordered by Username
	// (byte order): those whose Username starts with q.Prefix and sorts
	// after q.After, at most q.Limit of them. The tenant's absence is an
	// empty page, not an error.
	ListUsers(ctx context.Context, tenantID string, q UserQuery) ([]User, error)
	// PatchUser changes the fields of user id that p sets, and UpdatedAt
	// to p.At, in one statement, and returns the user as it is then: two
	// patches of different fields at once both take effect. A new Email
	// (one that differs) without EmailVerified makes the address
	// unverified; an empty address is never verified. ErrNotFound if the
	// user does not exist.
	PatchUser(ctx context.Context, tenantID, id string, p UserPatch) (User, error)
	// DeleteUser deletes a user and, in the same statement, its sessions,
	// consents, refresh families and identities. ErrNotFound if it does
	// not exist.
	DeleteUser(ctx context.Context, tenantID, id string) error
	// SetUserDisabled sets the user's Disabled flag and its UpdatedAt to
	// at. Disabling also, in the same atomic step, ends the user's live
	// sessions, revokes its live refresh families (RevokedAt at) and
	// denies the device authorizations it approved that are not redeemed
	// yet: all of it or nothing. Enabling restores none of them. Setting the
	// flag it already has is not an error. ErrNotFound if the user does
	// not exist.
	SetUserDisabled(ctx context.Context, tenantID, id string, disabled bool, at time.Time) error
}

// SigningKeys stores a tenant's signing keys and their lifecycle state.
type SigningKeys interface {
	// CreateKey inserts k. ErrNotFound if the tenant does not exist,
	// ErrAlreadyExists if the kid is taken in that tenant, or if k is a
	// next key and the tenant already has a next key of k.Use: of N
	// concurrent creators of a next key exactly one succeeds.
	CreateKey(ctx context.Context, k SigningKey) error
	// ListKeys returns the tenant's keys ordered by CreatedAt, then KID.
	ListKeys(ctx context.Context, tenantID string) ([]SigningKey, error)
	// SetKeyState moves key kid from state from to state to and sets the
	// timestamp field that belongs to the new state (ActivatedAt for
	// current, RetiredAt for retired) to at. from and to must differ and
	// be known states. It is one compare-and-set: of
	// N concurrent callers with the same from exactly one succeeds, the
	// others get ErrConflict. ErrNotFound if the key does not exist.
	SetKeyState(ctx context.Context, tenantID, kid string, from, to KeyState, at time.Time) error
	// DeleteKey removes a key. ErrNotFound if it does not exist.
	DeleteKey(ctx context.Context, tenantID, kid string) error
}

// Codes decides the single use of authorization codes. The code itself
// (with its bindings) lives in KV; only its redemption is recorded here.
type Codes interface {
	// RedeemCode records that the code whose hash is r.CodeHash was
	// redeemed and, in the same atomic step, creates family (when not nil)
	// and appends issued to the audit log (when not nil): all of it or
	// nothing. Of N concurrent callers with one hash exactly one gets nil;
	// the others get ErrAlreadyExists and store nothing. ErrNotFound if the
	// tenant does not exist, or the family's client or user. A family born
	// revoked (its session has ended or its user is disabled:
	// CreateRefreshFamily) is ErrConflict: the redemption and the family
	// are stored, issued is not. Redemptions outlive their client, so a
	// replay is still seen after the client is deleted.
	RedeemCode(ctx context.Context, r Redemption, family *RefreshFamily, issued *AuditEvent) error
	// GetRedemption returns the redemption of a code hash, or ErrNotFound.
	GetRedemption(ctx context.Context, tenantID string, codeHash []byte) (Redemption, error)
}

// RefreshTokens stores refresh-token families. A family is one grant; its
// refresh token rotates on every use. Only the hash of the current token is
// kept: presenting any other token of the family is reuse.
type RefreshTokens interface {
	// CreateRefreshFamily inserts f. ErrAlreadyExists if f.ID is taken,
	// ErrNotFound if its tenant, client or user does not exist. Deleting
	// the client or the user deletes its families. A family whose
	// SessionID names a session that has ended (EndSessions) is stored
	// revoked at the session's end, and one of a disabled user revoked at
	// its CreatedAt, in the same statement: a code issued before a
	// sign-out or a disabling, and redeemed after, starts no live grant.
	// (RedeemCode creates its family the same way, and says so.)
	CreateRefreshFamily(ctx context.Context, f RefreshFamily) error
	// GetRefreshFamily returns a family, revoked or not, or ErrNotFound.
	GetRefreshFamily(ctx context.Context, tenantID, id string) (RefreshFamily, error)
	// GetRefreshGrant is GetRefreshFamily plus, read in the same query, the
	// user the family was granted to: nil when the family has no user.
	// (Deleting a user deletes its families, so a family never outlives
	// its user.) The refresh grant needs both; one query is one round trip.
	GetRefreshGrant(ctx context.Context, tenantID, id string) (RefreshFamily, *User, error)
	// RotateRefreshToken replaces the family's token hash r.OldHash with
	// r.NewHash, increments Generation and sets RotatedAt to r.At,
	// provided the family is not revoked, not expired at r.At, OldHash is
	// its current hash and, when r.ClientID is set, it is that client's.
	// It returns the rotated family and its user, read in the same atomic
	// step (as GetRefreshGrant would), so that a caller needs no read
	// before it: one round trip in all. When r.Issued is not nil it is
	// appended to the audit log in the same atomic step, if and only if
	// the rotation happens. Of N concurrent callers with one OldHash
	// exactly one succeeds; the others (and any caller whose OldHash is
	// stale, or whose family is revoked, expired or another client's) get
	// ErrConflict. ErrNotFound if the family does not exist. NewHash must
	// be non-empty and differ from OldHash.
	RotateRefreshToken(ctx context.Context, r Rotation) (RefreshFamily, *User, error)
	// RevokeRefreshFamily marks a family revoked at now (idempotent: an
	// already revoked family keeps its first RevokedAt). ErrNotFound if it
	// does not exist.
	RevokeRefreshFamily(ctx context.Context, tenantID, id string, now time.Time) error
	// ListGrants returns the user's families that are neither revoked nor
	// expired at now, newest first.
	ListGrants(ctx context.Context, tenantID, userID string, now time.Time) ([]RefreshFamily, error)
	// RevokeGrants marks revoked at at every family that q selects and
	// that is neither revoked nor expired at at, in one statement, and
	// reports how many it revoked; none is not an error.
	RevokeGrants(ctx context.Context, q GrantQuery, at time.Time) (int64, error)
}

// Consents records what a user has allowed a client.
type Consents interface {
	// GetConsent returns the consent of user for client, or ErrNotFound.
	GetConsent(ctx context.Context, tenantID, userID, clientID string) (Consent, error)
	// PutConsent inserts or replaces a consent. ErrNotFound if the tenant,
	// user or client does not exist; deleting either deletes the consent.
	PutConsent(ctx context.Context, c Consent) error
	// ListConsents returns the user's consents ordered by client id.
	ListConsents(ctx context.Context, tenantID, userID string) ([]Consent, error)
	// RevokeConsents deletes the user's consent for clientID (every
	// consent of the user when clientID is "") and, in the same atomic
	// step, revokes at at the user's live refresh families of those
	// clients: what the user allowed them ends with the permission. It
	// reports how many consents and families it removed; none is not an
	// error.
	RevokeConsents(ctx context.Context, tenantID, userID, clientID string, at time.Time) (consents, grants int64, err error)
}

// Sessions stores browser sessions, in SQL because a session that is
// signed out must stop working at every location at once (KV would let
// another location go on reading it).
type Sessions interface {
	// CreateSession inserts s and, in the same atomic step, deletes the
	// user's sessions that are not among its keep newest (s included), so
	// that no user holds more than keep rows however often it signs in.
	// ErrAlreadyExists if s.ID is taken in the tenant; ErrNotFound if the
	// tenant or the user does not exist. keep must be at least 1.
	CreateSession(ctx context.Context, s Session, keep int) error
	// GetSession returns a session, revoked or expired ones included (the
	// caller decides), and, read in the same query, its user. Deleting a
	// user deletes its sessions, so the user is never missing. ErrNotFound
	// if there is no such session.
	GetSession(ctx context.Context, tenantID, id string) (Session, User, error)
	// ListSessions returns the user's sessions that are neither revoked
	// nor expired at now, newest first.
	ListSessions(ctx context.Context, tenantID, userID string, now time.Time) ([]Session, error)
	// EndSessions marks revoked at at every session q selects that is
	// neither revoked nor expired at at and, when q.Grants, in the same
	// atomic step revokes the live refresh families given in those
	// sessions. It reports how many sessions and families it revoked;
	// none is not an error. Of concurrent callers that select one session,
	// exactly one counts it.
	EndSessions(ctx context.Context, q SessionQuery, at time.Time) (sessions, grants int64, err error)
	// PruneSessions deletes, for every tenant, the sessions that expired
	// before before, revoked or not, and reports how many. An expired
	// session can never work again, so its row decides nothing.
	PruneSessions(ctx context.Context, before time.Time) (int64, error)
}

// Audit is an append-only event log: its events outlive what they
// describe (deleting a tenant keeps its events) until PruneAudit.
type Audit interface {
	// AppendAudit appends e. e.ID is assigned by the store and ignored.
	// An empty TenantID is an event of no tenant. ErrNotFound if the tenant
	// does not exist.
	AppendAudit(ctx context.Context, e AuditEvent) error
	// CountAudit records e as one more occurrence, from t.Source, of its
	// event in its tenant within the window of length t.Window that e.Time
	// falls in: the first occurrence appends e with Count 1 and Source
	// t.Source, later ones add to that event's Count. Once t.MaxSources
	// sources have an event in a window, the others are counted together
	// under the source "*". So a window holds at most t.MaxSources + 1
	// events of one event name per tenant, however many requests and
	// sources there are. One atomic step: concurrent callers are all
	// counted. ErrNotFound if the tenant does not exist.
	CountAudit(ctx context.Context, e AuditEvent, t Tally) error
	// ListAudit returns events of a tenant matching q, newest first.
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
	// PruneAudit deletes events older than before and reports how many.
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}

// Lockouts counts failed sign-ins per username, in SQL because a lockout
// must hold everywhere at once (KV could let a guesser through at another
// location): per username and source (the client's address), and per
// username over every source. Usernames are counted whether or not a user
// has them, so a lockout reveals nothing about which exist.
type Lockouts interface {
	// RecordLoginFailure counts one failed sign-in, a: in the streak of
	// its username and source and in the username's streak of every
	// source, and returns both. A streak whose last failure is older than
	// a.Window starts again at 1. One statement: N concurrent callers get N
	// distinct counts in each streak. ErrNotFound if the tenant does not
	// exist. (authflow counts every attempt before checking its password,
	// and resets the streaks when the password was right.)
	RecordLoginFailure(ctx context.Context, a LoginAttempt) (LoginStreaks, error)
	// GetLoginState returns, read in one query, what a sign-in with
	// username from source needs before it checks the password: the
	// user with that username and the two streaks, each nil when there is
	// none. It is never ErrNotFound (a missing tenant has none of them).
	GetLoginState(ctx context.Context, tenantID, username, source string) (LoginState, error)
	// ResetLoginFailures ends every streak of username (of every source);
	// resetting none is not an error.
	ResetLoginFailures(ctx context.Context, tenantID, username string) error
	// PruneLoginFailures deletes, for every tenant, the streaks whose last
	// failure is before before, and reports how many. The scheduled job
	// passes now minus the streak window: such a streak would start again
	// at 1 anyway, so the row decides nothing. Without it, every username
	// ever tried stays a row for ever.
	PruneLoginFailures(ctx context.Context, before time.Time) (int64, error)
}

// DeviceAuthorizations stores RFC 8628 device authorization requests,
// from the device authorization endpoint until they are pruned after
// their expiry. Each state change is one statement or one batch: the
// user's decision, a poll, and the redemption.
type DeviceAuthorizations interface {
	// CreateDeviceAuthorization inserts d. ErrAlreadyExists if its user
	// code or device hash is taken in the tenant (expired rows count until
	// they are pruned); ErrNotFound if the tenant or the client does not
	// exist. Deleting the client deletes its device authorizations.
	CreateDeviceAuthorization(ctx context.Context, d DeviceAuthorization) error
	// GetDeviceAuthorization returns the device authorization of a user
	// code (normalised), whatever its status and expiry, or ErrNotFound.
	GetDeviceAuthorization(ctx context.Context, tenantID, userCode string) (DeviceAuthorization, error)
	// DecideDeviceAuthorization records a user's decision on the device
	// authorization of d.UserCode and d.ClientID: approved (with the user
	// and their sign-in time) or denied, provided it is pending and
	// unexpired at d.At. Of N concurrent deciders exactly one succeeds;
	// the others, and any decision on one that is no longer pending or has
	// expired, get ErrConflict. ErrNotFound if there is none, or if the
	// user does not exist. Deleting the user deletes the authorizations it
	// decided.
	DecideDeviceAuthorization(ctx context.Context, d DeviceDecision) error
	// PollDeviceAuthorization records a poll of the token endpoint for the
	// device authorization of p.DeviceHash by client p.ClientID, and
	// returns it as the poll left it. A poll that comes before LastPoll +
	// Interval - p.Leeway is too soon: SlowedDown is set and Interval grows
	// by p.SlowDown (RFC 8628 §3.5), for this and every later poll. One
	// statement: of concurrent polls, each sees the ones before it.
	// ErrNotFound if there is none of that client.
	PollDeviceAuthorization(ctx context.Context, p DevicePoll) (DeviceAuthorization, error)
	// RedeemDeviceAuthorization marks the device authorization of
	// r.DeviceHash, client r.ClientID, redeemed with the refresh family
	// r.Family (when not nil) and, in the same atomic step, creates that
	// family and appends r.Issued (when not nil): all of it or nothing,
	// and only if it is approved and unexpired at r.At. Of N concurrent
	// callers exactly one succeeds; the others, and a redemption of one
	// that is not approved (pending, denied, redeemed) or has expired, get
	// ErrConflict and store nothing. ErrNotFound if there is none, or the
	// family's user is gone. (Disabling the user denies the
	// authorizations it approved: SetUserDisabled.)
	RedeemDeviceAuthorization(ctx context.Context, r DeviceRedemption) error
	// PruneDeviceAuthorizations deletes, for every tenant, the device
	// authorizations whose ExpiresAt is before before, and reports how
	// many. The scheduled job calls it with the current time: an expired
	// one can no longer be approved or redeemed.
	PruneDeviceAuthorizations(ctx context.Context, before time.Time) (int64, error)
}

// Connections stores a tenant's upstream identity providers, keyed by
// (TenantID, ID).
type Connections interface {
	// CreateConnection inserts c. ErrNotFound if the tenant does not
	// exist, ErrAlreadyExists if the id is taken in that tenant.
	CreateConnection(ctx context.Context, c Connection) error
	// GetConnection returns one connection or ErrNotFound.
	GetConnection(ctx context.Context, tenantID, id string) (Connection, error)
	// ListConnections returns the tenant's connections ordered by ID.
	ListConnections(ctx context.Context, tenantID string) ([]Connection, error)
	// UpdateConnection replaces every mutable field of c (all but
	// TenantID, ID, Kind, CreatedAt and Version) if the connection's
	// Version is still c.Version, and counts it up (a compare-and-set, as
	// UpdateTenant). ErrConflict if it changed since c was read;
	// ErrNotFound if it does not exist.
	UpdateConnection(ctx context.Context, c Connection) error
	// DeleteConnection deletes a connection and, in the same statement,
	// its identities (the users stay). ErrNotFound if it does not exist.
	DeleteConnection(ctx context.Context, tenantID, id string) error
}

// Identities links upstream accounts to users. An upstream account
// (connection, subject) belongs to at most one user, and a user has at
// most one identity per connection.
type Identities interface {
	// GetIdentity returns the identity of subject at connection, and its
	// user, read in one query; ErrNotFound if there is none.
	GetIdentity(ctx context.Context, tenantID, connectionID, subject string) (Identity, User, error)
	// CreateIdentity stores a first sign-in, in one atomic step, and
	// returns the id of the identity's user. With n.User it creates that
	// user and the identity together (both or neither). Otherwise it links
	// the identity to the one user of the tenant whose e-mail is
	// n.LinkEmail (ASCII case ignored) and verified, deciding which user in
	// the same statement: ErrNotFound when no such user exists or more
	// than one does. ErrAlreadyExists when the subject already has an
	// identity at the connection (of N concurrent first sign-ins of one
	// subject exactly one succeeds), when the user already has an identity
	// of the connection, or when n.User's id or username is taken.
	// ErrNotFound if the tenant or the connection does not exist.
	CreateIdentity(ctx context.Context, n NewIdentity) (userID string, err error)
	// UpdateIdentity stores a later sign-in of id (the identity of
	// id.Subject at id.ConnectionID): its Email, EmailVerified, Name,
	// TokensSealed, TokensExpireAt and LastLoginAt, and, in the same
	// atomic step, copies the upstream profile to the user: Email and
	// EmailVerified when id.Email is not empty, Name when id.Name is not
	// empty (UpdatedAt becomes id.LastLoginAt). ErrNotFound if the
	// identity is gone or no longer id.UserID's; the user is then left
	// alone.
	UpdateIdentity(ctx context.Context, id Identity) error
	// ListIdentities returns the user's identities ordered by
	// ConnectionID (none for an unknown user).
	ListIdentities(ctx context.Context, tenantID, userID string) ([]Identity, error)
	// DeleteIdentity unlinks the user's identity of connection.
	// ErrNotFound if there is none.
	DeleteIdentity(ctx context.Context, tenantID, userID, connectionID string) error
	// PruneIdentityTokens clears, for every tenant, the stored upstream
	// tokens that expire before before, and reports how many it cleared.
	// The scheduled job calls it with the current time.
	PruneIdentityTokens(ctx context.Context, before time.Time) (int64, error)
}

// KV is an eventually consistent key-value store with expiry (Workers KV in
// the Worker, memory natively). A write may be seen late elsewhere, so KV
// never decides anything that must happen once.
type KV interface {
	// Get returns the value of key, or ErrNotFound if it is absent or has
	// expired.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores value under key for ttl. ttl must be at least MinKVTTL.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes key; deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
}

// MinKVTTL is the shortest expiry Workers KV accepts.
const MinKVTTL = 60 * time.Second
