package storage

import "time"

// Tenant is one isolated issuer: its own clients, users and keys.
type Tenant struct {
	ID        string
	Name      string
	Settings  TenantSettings
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version counts the updates: UpdateTenant is a compare-and-set on it.
	Version int64
}

// TenantSettings are a tenant's tunables, stored as one JSON document. Zero
// values mean "use the server default"; authz resolves them.
type TenantSettings struct {
	// AccessTokenTTL is the access-token lifetime in seconds.
	AccessTokenTTL int64 `json:"access_token_ttl,omitempty"`
	// RefreshTokenTTL is the refresh-token family lifetime in seconds.
	RefreshTokenTTL int64 `json:"refresh_token_ttl,omitempty"`
	// SessionTTL is how long a browser session lasts from its sign-in, in
	// seconds.
	SessionTTL int64 `json:"session_ttl,omitempty"`
	// Registration is the RFC 7591 policy: "off", "token" or "open".
	Registration string `json:"registration,omitempty"`
	// AllowedResources restricts RFC 8707 resource indicators when non-empty.
	AllowedResources []string `json:"allowed_resources,omitempty"`
	// DefaultAudience is the access-token aud when no resource is asked for.
	DefaultAudience string `json:"default_audience,omitempty"`
	// RotationPeriod is how long a key signs before the next one takes over,
	// in seconds.
	RotationPeriod int64 `json:"rotation_period,omitempty"`
	// SigningAlg is the access-token algorithm: "ES256", "EdDSA" or "RS256".
	SigningAlg string `json:"signing_alg,omitempty"`
	// ClientIDMetadataDocuments lets clients use an https URL as client_id,
	// whose metadata document is fetched (Client ID Metadata Documents).
	ClientIDMetadataDocuments bool `json:"client_id_metadata_documents,omitempty"`
	// SelfRegisteredScope is the scope of clients that register
	// themselves (dynamic registration, metadata documents): theirs when
	// they state none, and, when set, the most they may state.
	SelfRegisteredScope string `json:"self_registered_scope,omitempty"`
	// DeviceCodeTTL is how long a device authorization request (RFC 8628)
	// waits for the user, in seconds.
	DeviceCodeTTL int64 `json:"device_code_ttl,omitempty"`
	// DevicePollInterval is the polling interval a device is told, in
	// seconds.
	DevicePollInterval int64 `json:"device_poll_interval,omitempty"`
	// ScopeDescriptions says, per scope, what it allows, in words the
	// consent page shows the user ("read": "Read your files").
	ScopeDescriptions map[string]string `json:"scope_descriptions,omitempty"`
	// RegistrationTokenHash is the SHA-256 (hex) of the initial access
	// token that registration "token" requires. Never shown by the admin API.
	RegistrationTokenHash string `json:"registration_token_hash,omitempty"`
	// PasswordLogin is "off" when the tenant's users sign in only through
	// upstream connections; "" or "on" shows the password form.
	PasswordLogin string `json:"password_login,omitempty"`
	// LinkIdentities is the rule by which a first sign-in through an
	// upstream connection may attach to an existing user: "" or "off"
	// never, "verified_email" to the one user whose e-mail address is
	// verified and equal to the upstream's verified address.
	LinkIdentities string `json:"link_identities,omitempty"`
}

// Client is a registered OAuth client.
type Client struct {
	TenantID string
	ID       string
	Name     string
	// SecretHash is the SHA-256 of the client secret; nil for public clients.
	SecretHash              []byte
	RedirectURIs            []string
	GrantTypes              []string
	ResponseTypes           []string
	TokenEndpointAuthMethod string
	// Scope is the space-separated list of scopes the client may ask for.
	Scope string
	// FirstParty clients skip the consent page.
	FirstParty bool
	// Dynamic clients were registered through RFC 7591 dynamic
	// registration: their redirect URIs were chosen by whoever registered
	// them, not vetted by an admin.
	Dynamic bool
	// IntrospectionAudiences are the audiences (resource identifiers) of
	// the access tokens this client may introspect: the resource servers
	// it stands for (RFC 7662 §4). Set by an admin only.
	IntrospectionAudiences []string
	// Version counts the updates: UpdateClient is a compare-and-set on it.
	Version int64
	// AccessTokenTTL overrides the tenant's access-token lifetime for this
	// client, in seconds; zero keeps the tenant's.
	AccessTokenTTL int64
	// PostLogoutRedirectURIs are where the logout endpoint may send the
	// browser back to (OIDC RP-Initiated Logout 1.0 §3.1), matched exactly.
	PostLogoutRedirectURIs []string
	// TokenExchangeAudiences are the audiences (resource identifiers or
	// names) this client may exchange access tokens for (RFC 8693): admin
	// policy, empty for none.
	TokenExchangeAudiences []string
	// LogoURI, PolicyURI and TOSURI are the client's logo and the pages
	// of its privacy policy and terms of service (RFC 7591 §2), for the
	// consent page; "" when it has none.
	LogoURI, PolicyURI, TOSURI string
	CreatedAt                  time.Time
	UpdatedAt                  time.Time
}

// User is a tenant's end user. ID is the stable subject ("sub").
type User struct {
	TenantID string
	ID       string
	Username string
	Email    string
	// EmailVerified: Email is known to belong to the user (an admin said
	// so, or the upstream provider the user signed in with did).
	EmailVerified bool
	// Name is the user's full name, for the OIDC name claim.
	Name string
	// PasswordHash is a self-describing slow hash (PHC string format);
	// empty for a user who signs in only through an upstream connection.
	PasswordHash string
	Roles        []string
	// Disabled users cannot sign in (Users.SetUserDisabled).
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UserPatch is a change of a user's profile (Users.PatchUser): nil fields
// keep their value.
type UserPatch struct {
	Email         *string
	EmailVerified *bool
	Name          *string
	Roles         *[]string
	At            time.Time
}

// KeyState is a signing key's place in its lifecycle:
// next -> current -> retired, then deleted.
type KeyState string

// Key states.
const (
	KeyNext    KeyState = "next"    // published, not yet signing
	KeyCurrent KeyState = "current" // published and signing
	KeyRetired KeyState = "retired" // published, no longer signing
)

// KeyUse tells what a key signs.
type KeyUse string

// Key uses.
const (
	UseAccessToken KeyUse = "access" // RFC 9068 access tokens
	UseIDToken     KeyUse = "id"     // OIDC ID tokens (RS256)
)

// SigningKey is one key of a tenant.
type SigningKey struct {
	TenantID string
	KID      string
	Alg      string // JOSE alg: ES256, EdDSA, RS256
	Use      KeyUse
	State    KeyState
	// PublicJWK is the public key as a JSON Web Key.
	PublicJWK []byte
	// PrivateSealed is the private key sealed with AES-256-GCM under the
	// key-encryption key, with tenant and kid as associated data.
	PrivateSealed []byte
	CreatedAt     time.Time
	ActivatedAt   time.Time // zero until it became current
	RetiredAt     time.Time // zero until it was retired
}

// Redemption records the single use of an authorization code.
type Redemption struct {
	TenantID string
	CodeHash []byte
	ClientID string
	// FamilyID is the refresh family the redemption issued, if any.
	FamilyID   string
	RedeemedAt time.Time
	// ExpiresAt is when the row may be pruned (after the code's own expiry).
	ExpiresAt time.Time
}

// RefreshFamily is one grant's chain of rotating refresh tokens.
type RefreshFamily struct {
	TenantID   string
	ID         string
	ClientID   string
	UserID     string // empty for client-credential grants
	Scope      string
	Resource   string
	AuthTime   time.Time
	TokenHash  []byte // SHA-256 of the current refresh token
	Generation int64
	CreatedAt  time.Time
	RotatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time // zero unless revoked
	// SessionID is the browser session the grant was given in ("" for
	// none): ending that session with its grants revokes the family.
	SessionID string
}

// GrantQuery selects the live (unrevoked, unexpired) refresh families of
// one tenant that RefreshTokens.RevokeGrants revokes. TenantID is
// required, and at least one of UserID and ID; ClientID narrows it.
type GrantQuery struct {
	TenantID string
	UserID   string
	ID       string
	ClientID string
}

// Session is a browser signed in to one tenant as one user. The browser's
// cookie holds "<ID>.<secret>"; only the secret's SHA-256 is stored.
type Session struct {
	TenantID string
	// ID names the session in public: the ID tokens' sid, the admin API.
	ID         string
	SecretHash []byte
	UserID     string
	AuthTime   time.Time // when the user signed in
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time // zero unless signed out or revoked
}

// SessionQuery selects the live (unrevoked, unexpired at the time given)
// sessions Sessions.EndSessions ends. TenantID is required, and at least
// one of UserID and ID. Grants asks to revoke the grants given in them
// too.
type SessionQuery struct {
	TenantID string
	UserID   string
	ID       string
	Grants   bool
}

// Rotation is one use of a refresh token (RefreshTokens.RotateRefreshToken):
// family FamilyID's current token hash OldHash becomes NewHash at At.
type Rotation struct {
	TenantID string
	FamilyID string
	OldHash  []byte
	NewHash  []byte
	At       time.Time
	// ClientID, when set, is the client the family must belong to: a
	// family of another client does not rotate (ErrConflict).
	ClientID string
	// Issued, when not nil, is the token.issued event written with the
	// rotation.
	Issued *AuditEvent
	// IssuedFromFamily takes Issued's Subject (unless the family has no
	// user) and the "scope" member of its Detail, a JSON object, from the
	// family: for a caller that rotates without having read it.
	IssuedFromFamily bool
}

// Consent is what a user has granted a client: scopes, for use at
// resources.
type Consent struct {
	TenantID string
	UserID   string
	ClientID string
	Scope    string
	// Resources are the resource indicators (RFC 8707) the user saw and
	// allowed; "" stands for a request without one (the tenant's default
	// audience).
	Resources []string
	GrantedAt time.Time
}

// AuditEvent is one entry of the audit log. It never holds a secret.
type AuditEvent struct {
	ID       int64
	TenantID string
	Time     time.Time // of the first occurrence, for a counted event
	Event    string    // e.g. "client.created", "login.failed"
	Actor    string    // who did it: "admin", a user id, a client id
	Subject  string    // what it was done to: a client id, a kid
	Detail   string    // short JSON, no secrets
	// Source and Count are set for a counted event (Audit.CountAudit):
	// the client's address ("*" for the sources past the tally's cap) and
	// how many times it happened in its window. Count is 1 otherwise.
	Source string
	Count  int64
}

// Tally says how an event of unauthenticated requests is counted
// (Audit.CountAudit): per tenant, event and Window, and per source, at
// most MaxSources sources each; the others are counted under "*".
type Tally struct {
	Source     string
	Window     time.Duration
	MaxSources int
}

// LoginFailures is a streak of failed logins of one username.
type LoginFailures struct {
	Count int64
	Last  time.Time // the latest failure
}

// LoginAttempt is a failed sign-in as Lockouts.RecordLoginFailure counts
// it.
type LoginAttempt struct {
	TenantID string
	Username string
	// Source is the client's address as a rate-limit key; "*" is reserved
	// for the streak of every source.
	Source string
	At     time.Time
	// Window: a streak whose last failure is older starts again at 1.
	Window time.Duration
}

// LoginStreaks are a username's streaks of failed sign-ins.
type LoginStreaks struct {
	Source LoginFailures // from the attempt's source
	All    LoginFailures // from every source
}

// LoginState is what a sign-in reads about a username.
type LoginState struct {
	User        *User          // nil: no user has the username
	Failures    *LoginFailures // from the sign-in's source; nil: no streak
	AllFailures *LoginFailures // from every source; nil: no streak
}

// UserQuery selects a page of a tenant's users. Zero fields do not filter.
type UserQuery struct {
	// Prefix keeps the users whose Username starts with it.
	Prefix string
	// After pages forwards: only usernames that sort after it.
	After string
	// Limit caps the result; zero means 100.
	Limit int
}

// AuditQuery selects audit events. Zero fields do not filter.
type AuditQuery struct {
	TenantID string
	Event    string
	Since    time.Time
	Until    time.Time
	// BeforeID pages backwards: only events with ID < BeforeID.
	BeforeID int64
	// Limit caps the result; zero means 100.
	Limit int
}

// DeviceStatus is where a device authorization stands.
type DeviceStatus string

// Device authorization states: pending -> approved -> redeemed, or
// pending -> denied.
const (
	DevicePending  DeviceStatus = "pending"
	DeviceApproved DeviceStatus = "approved"
	DeviceDenied   DeviceStatus = "denied"
	DeviceRedeemed DeviceStatus = "redeemed"
)

// DeviceAuthorization is one RFC 8628 device authorization request: what
// a device (a CLI, a TV) asked for, the code the user types to approve it,
// and the state of its polling.
type DeviceAuthorization struct {
	TenantID string
	// DeviceHash is the SHA-256 of the device code, the device's secret.
	DeviceHash []byte
	// UserCode is the code the user types, normalised (package device).
	UserCode  string
	ClientID  string
	Scope     string
	Resources []string
	Status    DeviceStatus
	// UserID and AuthTime: who decided, and when they signed in ("" and
	// zero while pending).
	UserID   string
	AuthTime time.Time
	// Interval is how long, in seconds, the device must wait between two
	// polls; it grows each time a poll comes too soon.
	Interval int64
	// LastPoll is the time of the latest poll (zero before the first).
	LastPoll time.Time
	// SlowedDown: the latest poll came too soon (set by a poll).
	SlowedDown bool
	// FamilyID is the refresh family the redemption created, if any.
	FamilyID  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// DeviceDecision is a user's decision on a device authorization
// (DeviceAuthorizations.DecideDeviceAuthorization).
type DeviceDecision struct {
	TenantID string
	UserCode string
	ClientID string
	Approve  bool
	UserID   string
	AuthTime time.Time
	At       time.Time
}

// DevicePoll is one poll of the token endpoint
// (DeviceAuthorizations.PollDeviceAuthorization).
type DevicePoll struct {
	TenantID   string
	DeviceHash []byte
	ClientID   string
	At         time.Time
	// Leeway: a poll at least Interval - Leeway after the previous one is
	// on time, so that network jitter is not taken for haste.
	Leeway time.Duration
	// SlowDown is what a poll that comes too soon adds to Interval.
	SlowDown time.Duration
}

// DeviceRedemption is the redemption of an approved device authorization
// (DeviceAuthorizations.RedeemDeviceAuthorization).
type DeviceRedemption struct {
	TenantID   string
	DeviceHash []byte
	ClientID   string
	At         time.Time
	// Family, when not nil, is the refresh family created with it.
	Family *RefreshFamily
	// Issued, when not nil, is the token.issued event written with it.
	Issued *AuditEvent
}

// Connection kinds.
const (
	KindOIDC   = "oidc"   // any OpenID Connect provider, found through its discovery document
	KindGoogle = "google" // Google: OpenID Connect at https://accounts.google.com
	KindGitHub = "github" // GitHub (or GitHub Enterprise Server): OAuth 2.0 and its REST API
)

// Connection is an upstream identity provider a tenant's users may sign
// in with, keyed by (TenantID, ID).
type Connection struct {
	TenantID string
	// ID names the connection in URLs (/t/{tenant}/callback/{id}).
	ID string
	// Kind is KindOIDC, KindGoogle or KindGitHub.
	Kind string
	// Name is what the login page's button says.
	Name string
	// Issuer is the OIDC issuer of a KindOIDC connection, or the base URL
	// of a GitHub Enterprise Server ("" for github.com); empty for Google.
	Issuer   string
	ClientID string
	// ClientSecretSealed is the client secret at the upstream, sealed by
	// the caller (package connections); nil for none.
	ClientSecretSealed []byte
	// Scopes are asked of the upstream.
	Scopes []string
	// CreateUsers lets a first sign-in create a user (just in time).
	CreateUsers bool
	// StoreTokens keeps the upstream's tokens, sealed, until they expire.
	StoreTokens bool
	// Version counts the updates: UpdateConnection is a compare-and-set on it.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Identity links an upstream account, (ConnectionID, Subject), to a user:
// signing in through the connection as Subject signs in as UserID.
type Identity struct {
	TenantID     string
	ConnectionID string
	// Subject is the upstream's stable id of the account: the ID token's
	// sub, GitHub's numeric user id.
	Subject string
	UserID  string
	// The upstream profile as of the last sign-in.
	Email         string
	EmailVerified bool
	Name          string
	// TokensSealed are the upstream's tokens, sealed by the caller, kept
	// until TokensExpireAt when the connection stores tokens; nil otherwise.
	TokensSealed   []byte
	TokensExpireAt time.Time
	CreatedAt      time.Time
	LastLoginAt    time.Time
}

// NewIdentity is a first sign-in through a connection
// (Identities.CreateIdentity): the identity, and either a new user for it
// (User) or the verified e-mail address that names an existing user to
// link it to (LinkEmail).
type NewIdentity struct {
	Identity Identity
	// User, when not nil, is created with the identity (just in time);
	// Identity.UserID must be User.ID.
	User *User
	// LinkEmail, when User is nil, names the user to link to: the one user
	// of the tenant whose e-mail address equals it (ASCII case ignored)
	// and is verified.
	LinkEmail string
}
