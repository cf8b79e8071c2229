//go:build !js

package storecache_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
	"github.com/edgeauth/edgeauth/storage/storagecount"
	"github.com/edgeauth/edgeauth/storage/storagetest"
	"github.com/edgeauth/edgeauth/storage/storecache"
)

// The storage contract holds through the cache: every change the suite
// makes goes through the wrapper, so every read it checks sees it.
func TestConformance(t *testing.T) {
	store, db, err := sqlstore.OpenSQLite(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	storagetest.Run(t, func(*testing.T) storage.Store { return storecache.New(store, time.Hour, nil, nil) })
}

// Each method of storage.Store is either cached, a change that drops the
// caches, or unrelated to what is cached. A new method fails this test
// until someone decides which.
func TestEveryMethodClassified(t *testing.T) {
	cachedReads := []string{"GetTenant", "GetClient", "ListKeys"}
	changes := []string{"UpdateTenant", "DeleteTenant", "UpdateClient", "DeleteClient", "CreateKey", "SetKeyState", "DeleteKey"}
	unrelated := []string{
		"CreateTenant", "ListTenants", "CreateClient", "RegisterClient", "ListClients", // no negative caching: a new record is seen at once
		"CreateUser", "GetUser", "ListUsers", "PatchUser", "DeleteUser", "SetUserDisabled",
		"RedeemCode", "GetRedemption",
		"CreateRefreshFamily", "GetRefreshFamily", "GetRefreshGrant", "RotateRefreshToken", "RevokeRefreshFamily",
		"ListGrants", "RevokeGrants",
		"GetConsent", "PutConsent", "ListConsents", "RevokeConsents",
		// Never cached: a signed-out session must stop working at once.
		"CreateSession", "GetSession", "ListSessions", "EndSessions", "PruneSessions",
		"AppendAudit", "CountAudit", "ListAudit", "PruneAudit",
		"PruneExpired", // deletes redemptions and refresh families, neither of which is cached
		"GetLoginState", "RecordLoginFailure", "ResetLoginFailures", "PruneLoginFailures",
		"CreateDeviceAuthorization", "GetDeviceAuthorization", "DecideDeviceAuthorization", // never cached
		"PollDeviceAuthorization", "RedeemDeviceAuthorization", "PruneDeviceAuthorizations",
		// Connections are read at every upstream sign-in, past any cache: a
		// deleted connection stops working at once.
		"CreateConnection", "GetConnection", "ListConnections", "UpdateConnection", "DeleteConnection",
		"GetIdentity", "CreateIdentity", "UpdateIdentity", "ListIdentities", "DeleteIdentity", "PruneIdentityTokens",
	}
	var all []string
	st := reflect.TypeFor[storage.Store]()
	for i := range st.NumMethod() {
		all = append(all, st.Method(i).Name)
	}
	classified := slices.Concat(cachedReads, changes, unrelated)
	slices.Sort(all)
	slices.Sort(classified)
	if !slices.Equal(all, classified) {
		t.Fatalf("storage.Store methods %v\nclassified here %v", all, classified)
	}
	// That each of the cachedReads and changes is overridden here, not
	// promoted from the embedded store, TestHitsDoNotReachTheStore and
	// TestEveryChangeBumps check by behaviour.
}

type fixture struct {
	ctx     context.Context
	inner   *storagecount.Store
	counter *storagecount.Counter
	clock   *clock
	gen     *storecache.LocalGeneration
	a, b    *storecache.Store // two caches sharing a generation: two instances of one isolate
	tenant  storage.Tenant
	client  storage.Client
	writerB storage.Store // a writer that bypasses both caches: another isolate
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sq, db, err := sqlstore.OpenSQLite(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{ctx: context.Background(), clock: &clock{t: time.Unix(1_800_000_000, 0)}, gen: &storecache.LocalGeneration{}, writerB: sq}
	f.counter = &storagecount.Counter{}
	f.inner = storagecount.NewStore(sq, f.counter)
	f.a = storecache.New(f.inner, 30*time.Second, f.clock.now, f.gen)
	f.b = storecache.New(f.inner, 30*time.Second, f.clock.now, f.gen)
	now := f.clock.now().UTC()
	f.tenant = storage.Tenant{ID: "acme", Name: "Acme", Settings: storage.TenantSettings{AllowedResources: []string{"https://api.example"}}, CreatedAt: now, UpdatedAt: now}
	if err := sq.CreateTenant(f.ctx, f.tenant); err != nil {
		t.Fatal(err)
	}
	f.client = storage.Client{TenantID: "acme", ID: "app", Name: "App", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "none", CreatedAt: now, UpdatedAt: now}
	if err := sq.CreateClient(f.ctx, f.client); err != nil {
		t.Fatal(err)
	}
	return f
}

// renameElsewhere reads the tenant through cache a, then renames it
// through a writer that bypasses every cache: another isolate's change.
func (f *fixture) renameElsewhere(t *testing.T, name string) {
	t.Helper()
	if _, err := f.a.GetTenant(f.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	changed := f.tenant
	changed.Name = name
	if err := f.writerB.UpdateTenant(f.ctx, changed); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) reads() int64 { return f.counter.Snapshot().D1Reads }

func TestHitsDoNotReachTheStore(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		if _, err := f.a.GetTenant(f.ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.a.GetClient(f.ctx, "acme", "app"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.a.ListKeys(f.ctx, "acme"); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.reads(); got != 3 {
		t.Fatalf("store reads = %d, want 3 (one per record)", got)
	}
}

// A change made elsewhere is seen within the TTL, and not before it has
// passed (that is what the cache saves).
func TestTTLBound(t *testing.T) {
	f := newFixture(t)
	f.renameElsewhere(t, "Acme Two")
	f.clock.add(29 * time.Second)
	if got, _ := f.a.GetTenant(f.ctx, "acme"); got.Name != "Acme" {
		t.Fatalf("within the TTL: name %q, want the cached %q", got.Name, "Acme")
	}
	f.clock.add(time.Second)
	if got, _ := f.a.GetTenant(f.ctx, "acme"); got.Name != "Acme Two" {
		t.Fatalf("at the TTL: name %q, want %q", got.Name, "Acme Two")
	}
}

// A change through one cache is seen at once by every cache sharing its
// generation: deleting a client there makes it unknown here.
func TestChangeDropsSiblingCaches(t *testing.T) {
	f := newFixture(t)
	if _, err := f.b.GetClient(f.ctx, "acme", "app"); err != nil {
		t.Fatal(err)
	}
	if err := f.a.DeleteClient(f.ctx, "acme", "app"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.b.GetClient(f.ctx, "acme", "app"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("after the delete in a sibling: err %v, want ErrNotFound", err)
	}
}

// Every change method bumps the generation, failed or not.
func TestEveryChangeBumps(t *testing.T) {
	f := newFixture(t)
	now := f.clock.now().UTC()
	key := storage.SigningKey{TenantID: "acme", KID: "k1", Alg: "ES256", Use: storage.UseAccessToken, State: storage.KeyNext,
		PublicJWK: []byte(`{}`), PrivateSealed: []byte{1}, CreatedAt: now}
	changes := map[string]func() error{
		"UpdateTenant": func() error { return f.a.UpdateTenant(f.ctx, f.tenant) },
		"UpdateClient": func() error { return f.a.UpdateClient(f.ctx, f.client) },
		"CreateKey":    func() error { return f.a.CreateKey(f.ctx, key) },
		"SetKeyState":  func() error { return f.a.SetKeyState(f.ctx, "acme", "k1", storage.KeyNext, storage.KeyCurrent, now) },
		"DeleteKey":    func() error { return f.a.DeleteKey(f.ctx, "acme", "k1") },
		"DeleteClient": func() error { return f.a.DeleteClient(f.ctx, "acme", "app") },
		"DeleteTenant": func() error { return f.a.DeleteTenant(f.ctx, "acme") },
		"failed DeleteKey": func() error {
			if err := f.a.DeleteKey(f.ctx, "acme", "nope"); err == nil {
				return errors.New("deleting a missing key succeeded")
			}
			return nil
		},
	}
	for _, name := range []string{"UpdateTenant", "UpdateClient", "CreateKey", "SetKeyState", "DeleteKey", "failed DeleteKey", "DeleteClient", "DeleteTenant"} {
		before := f.gen.Load()
		if err := changes[name](); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.gen.Load() == before {
			t.Errorf("%s did not bump the generation", name)
		}
	}
}

// A read that overlapped a change is not kept: it may predate the change.
func TestReadOverlappingAChangeIsNotKept(t *testing.T) {
	f := newFixture(t)
	racing := &bumpDuring{Store: f.inner, gen: f.gen}
	c := storecache.New(racing, 30*time.Second, f.clock.now, f.gen)
	if _, err := c.GetTenant(f.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	racing.off = true
	before := f.reads()
	if _, err := c.GetTenant(f.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if f.reads() != before+1 {
		t.Fatal("a read that overlapped a generation bump was served from the cache")
	}
}

// bumpDuring bumps the generation in the middle of every GetTenant, as a
// change in a sibling instance would.
type bumpDuring struct {
	storage.Store
	gen *storecache.LocalGeneration
	off bool
}

func (b *bumpDuring) GetTenant(ctx context.Context, id string) (storage.Tenant, error) {
	t, err := b.Store.GetTenant(ctx, id)
	if !b.off {
		b.gen.Bump()
	}
	return t, err
}

// A clock that goes back does not stretch the TTL.
func TestClockGoingBackEndsEntries(t *testing.T) {
	f := newFixture(t)
	if _, err := f.a.GetTenant(f.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	f.clock.add(-time.Second)
	before := f.reads()
	if _, err := f.a.GetTenant(f.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if f.reads() != before+1 {
		t.Fatal("an entry read in the clock's future was served")
	}
}

// Reads through the uncached view go to the store and are not kept; its
// writes drop the caches like the Store's own.
func TestUncachedBypasses(t *testing.T) {
	f := newFixture(t)
	if _, err := f.a.GetTenant(f.ctx, "acme"); err != nil { // kept
		t.Fatal(err)
	}
	f.renameElsewhere(t, "Elsewhere")
	u := f.a.Uncached()
	if got, _ := u.GetTenant(f.ctx, "acme"); got.Name != "Elsewhere" {
		t.Fatalf("uncached read: %q, want %q", got.Name, "Elsewhere")
	}
	if got, _ := f.a.GetTenant(f.ctx, "acme"); got.Name != "Acme" {
		t.Fatalf("the uncached read replaced the kept entry: %q, want the cached Acme", got.Name)
	}
	before := f.reads()
	if got, _ := u.GetTenant(f.ctx, "acme"); got.Name != "Elsewhere" || f.reads() != before+1 {
		t.Fatalf("uncached read: %q after %d store reads; want Elsewhere after 1", got.Name, f.reads()-before)
	}
	ten, _ := u.GetTenant(f.ctx, "acme")
	ten.Name = "Changed here"
	if err := u.UpdateTenant(f.ctx, ten); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.a.GetTenant(f.ctx, "acme"); got.Name != "Changed here" {
		t.Fatalf("after a write through the uncached view the cache served %q; want %q", got.Name, "Changed here")
	}
}

func TestNotFoundIsNotKept(t *testing.T) {
	f := newFixture(t)
	if _, err := f.a.GetClient(f.ctx, "acme", "new"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("err %v, want ErrNotFound", err)
	}
	c := f.client
	c.ID = "new"
	if err := f.writerB.CreateClient(f.ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.GetClient(f.ctx, "acme", "new"); err != nil {
		t.Fatalf("a client created elsewhere after a miss: %v", err)
	}
}

// What a caller gets is its own copy.
func TestCopies(t *testing.T) {
	f := newFixture(t)
	got, err := f.a.GetClient(f.ctx, "acme", "app")
	if err != nil {
		t.Fatal(err)
	}
	got.RedirectURIs[0] = "https://evil.example/cb"
	ten, _ := f.a.GetTenant(f.ctx, "acme")
	ten.Settings.AllowedResources[0] = "https://evil.example"
	again, _ := f.a.GetClient(f.ctx, "acme", "app")
	ten2, _ := f.a.GetTenant(f.ctx, "acme")
	if again.RedirectURIs[0] != "https://app.example/cb" || ten2.Settings.AllowedResources[0] != "https://api.example" {
		t.Fatalf("a caller's edit reached the cache: %v %v", again.RedirectURIs, ten2.Settings.AllowedResources)
	}
}

func TestMemo(t *testing.T) {
	f := newFixture(t)
	calls := 0
	m := storecache.NewMemo[int](f.a, "n")
	get := func(key string, fill func(context.Context) (int, error)) (int, error) {
		v, _, err := m.Get(f.ctx, key, fill)
		return v, err
	}
	fill := func(context.Context) (int, error) { calls++; return calls, nil }
	for range 2 {
		if v, err := get("x", fill); err != nil || v != 1 {
			t.Fatalf("Memo = %v, %v; want 1", v, err)
		}
	}
	if err := f.b.UpdateTenant(f.ctx, f.tenant); err != nil {
		t.Fatal(err)
	}
	if v, _ := get("x", fill); v != 2 {
		t.Fatalf("after a change: Memo = %v, want 2 (refilled)", v)
	}
	failing := func(context.Context) (int, error) { return 0, errors.New("boom") }
	if _, err := get("y", failing); err == nil {
		t.Fatal("Memo hid fill's error")
	}
	if v, _ := get("y", fill); v != 3 {
		t.Fatalf("an error was kept: Memo = %v, want 3", v)
	}
	// Two memos never see each other's values under one key.
	other := storecache.NewMemo[string](f.a, "s")
	if v, _, err := other.Get(f.ctx, "x", func(context.Context) (string, error) { return "s", nil }); err != nil || v != "s" {
		t.Fatalf("another memo's x = %q, %v; want its own s", v, err)
	}
	// A nil memo keeps nothing.
	var none *storecache.Memo[int]
	for want := 4; want <= 5; want++ {
		if v, until, err := none.Get(f.ctx, "x", fill); err != nil || v != want || !until.IsZero() {
			t.Fatalf("nil Memo = %v, until %v, %v; want %d (a fresh fill), zero", v, until, err, want)
		}
	}
}

// A memo is only as fresh as the oldest record its fill read: built from
// a tenant the cache has held for 20 s, it expires 10 s later, with the
// record, and MemoUntil says so.
func TestMemoExpiresWithItsRecords(t *testing.T) {
	f := newFixture(t)
	read := f.clock.now()
	f.renameElsewhere(t, "Renamed") // a holds the tenant as read at `read`
	f.clock.add(20 * time.Second)
	m := storecache.NewMemo[string](f.a, "name")
	fill := func(ctx context.Context) (string, error) {
		t, err := f.a.GetTenant(ctx, "acme")
		return t.Name, err
	}
	v, until, err := m.Get(f.ctx, "doc", fill)
	if err != nil || v != "Acme" {
		t.Fatalf("MemoUntil = %v, %v; want the cached name Acme", v, err)
	}
	if want := read.Add(30 * time.Second); !until.Equal(want) {
		t.Fatalf("until = %v, want %v (the record's read time plus the TTL)", until, want)
	}
	f.clock.add(10 * time.Second)
	if v, _, _ := m.Get(f.ctx, "doc", fill); v != "Renamed" {
		t.Fatalf("30 s after its record was read, Memo = %v; want Renamed", v)
	}
	// A nested memo passes its age on to the memo around it.
	f.clock.add(25 * time.Second) // "doc" was refilled 25 s ago
	outer := func(ctx context.Context) (string, error) { v, _, err := m.Get(ctx, "doc", fill); return v, err }
	_, until, err = m.Get(f.ctx, "outer", outer)
	if want := f.clock.now().Add(5 * time.Second); err != nil || !until.Equal(want) {
		t.Fatalf("outer until = %v, %v; want %v (the inner memo's expiry)", until, err, want)
	}
}

// Memo.Get reports zero when nothing was kept: when a change overlapped
// the fill.
func TestMemoUntilNotKept(t *testing.T) {
	f := newFixture(t)
	m := storecache.NewMemo[int](f.a, "n")
	fill := func(context.Context) (int, error) { return 1, nil }
	overlapped := func(ctx context.Context) (int, error) {
		if err := f.b.UpdateTenant(ctx, f.tenant); err != nil {
			return 0, err
		}
		f.a.GetTenant(ctx, "acme") // a lookup that sees the new generation
		return 1, nil
	}
	if _, until, err := m.Get(f.ctx, "y", overlapped); err != nil || !until.IsZero() {
		t.Fatalf("a change during fill: until = %v, %v; want zero", until, err)
	}
	if _, until, _ := m.Get(f.ctx, "z", fill); !until.Equal(f.clock.now().Add(30 * time.Second)) {
		t.Fatalf("a fresh fill: until = %v, want now + 30 s", until)
	}
}
