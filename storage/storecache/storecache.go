// Package storecache keeps the records nearly every request reads (tenants,
// clients and a tenant's key list) in memory for a short, bounded time, in
// front of a storage.Store. With live instances (the Worker's pool, the
// native server) it turns the D1 read that starts almost every request
// into a map lookup.
//
// What a reader may see, and for how long:
//   - An entry is served for at most TTL after it was read from the store.
//     A memo (Memo: a value derived from records, typed by its user) is
//     served for at most TTL after the oldest record it was built from was
//     read.
//   - A change made through a Store (UpdateTenant, DeleteTenant,
//     UpdateClient, DeleteClient, CreateKey, SetKeyState, DeleteKey) bumps
//     its Generation once the statement has run, succeeded or not; every
//     Store sharing that Generation drops all its entries before its next
//     lookup, and a read that overlapped the bump is not kept. In the Worker
//     the instances of one isolate share one Generation (cfworker), so a
//     change is seen at once in the isolate that made it. Changed bumps it
//     too, for what is derived from records outside the store: the JWKS
//     publisher calls it once a new document is in KV.
//   - A change made anywhere else (another isolate or edge location,
//     another process, straight in the database) is seen within TTL.
//   - Reads through Uncached always go to the store and are not kept:
//     read-modify-write code (the admin API, key rotation) holds that view
//     and never starts from a cached record. Its writes drop the caches
//     like the Store's own.
//   - "Not found" is never kept, so a new tenant or client is usable at
//     once everywhere.
//   - Values are copied in and out: a caller may modify what it gets.
//
// Every other method of storage.Store passes through untouched.
package storecache

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// DefaultTTL is how long an entry is served when New is given no TTL.
const DefaultTTL = 30 * time.Second

// maxEntries bounds the memory a Store holds. When it is full, expired
// entries go first; if none has expired, everything goes.
const maxEntries = 4096

// Generation is a counter shared by the caches that must drop their entries
// together. Load returns its value; Bump increments it.
type Generation interface {
	Load() uint64
	Bump()
}

// LocalGeneration is a Generation for one process. The zero value is ready.
type LocalGeneration struct{ n atomic.Uint64 }

// Load returns the counter.
func (g *LocalGeneration) Load() uint64 { return g.n.Load() }

// Bump increments the counter.
func (g *LocalGeneration) Bump() { g.n.Add(1) }

// Store is a storage.Store with a read cache. It is safe for concurrent use.
type Store struct {
	storage.Store
	ttl time.Duration
	now func() time.Time
	gen Generation

	mu      sync.Mutex
	seen    uint64 // the generation the entries belong to
	entries map[string]entry
}

type entry struct {
	v  any
	at time.Time // when it was read
}

// New wraps s. ttl <= 0 means DefaultTTL; now nil means time.Now; gen nil
// means a LocalGeneration of this Store alone.
func New(s storage.Store, ttl time.Duration, now func() time.Time, gen Generation) *Store {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if now == nil {
		now = time.Now
	}
	if gen == nil {
		gen = &LocalGeneration{}
	}
	return &Store{Store: s, ttl: ttl, now: now, gen: gen, seen: gen.Load(), entries: map[string]entry{}}
}

// lookup returns the live entry of key, and the generation to hand to keep
// if there is none.
func (s *Store) lookup(key string) (entry, uint64, bool) {
	g := s.gen.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	if g != s.seen {
		clear(s.entries)
		s.seen = g
	}
	e, ok := s.entries[key]
	if !ok || !s.live(e, s.now()) {
		return entry{}, g, false
	}
	return e, g, true
}

// keep stores v under key, read in generation g at time at, and reports
// whether it did. If a change bumped the generation while v was being
// read, v may predate it: it is dropped here when a lookup has already
// seen the new generation, and by the next lookup otherwise.
func (s *Store) keep(key string, v any, g uint64, at time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g != s.seen {
		return false
	}
	now := s.now()
	if len(s.entries) >= maxEntries {
		for k, e := range s.entries {
			if !s.live(e, now) {
				delete(s.entries, k)
			}
		}
		if len(s.entries) >= maxEntries {
			clear(s.entries)
		}
	}
	s.entries[key] = entry{v: v, at: at}
	return true
}

// live reports whether e may still be served at now. A clock that went
// back past e's read time ends e too: the TTL holds whatever the clock does.
func (s *Store) live(e entry, now time.Time) bool {
	return !now.Before(e.at) && now.Sub(e.at) < s.ttl
}

// Memo keeps values of type T derived from records (a signer opened from a
// key, an encoded document), under the same bounds as the records: use it
// for values derived from tenants, clients or keys. Make one per kind of
// value with NewMemo. A nil *Memo keeps nothing: Get calls fill every
// time, as a server without a cache needs.
type Memo[T any] struct {
	s    *Store
	name string
}

// NewMemo returns the memo called name (unique per Store) kept by s; s nil
// means a memo that keeps nothing.
func NewMemo[T any](s *Store, name string) *Memo[T] {
	if s == nil {
		return nil
	}
	return &Memo[T]{s: s, name: name}
}

// Get returns the value kept under key, or calls fill and keeps what it
// returns (not its errors). fill's value is kept as it is: it must be
// immutable. fill must read through the context it is given: a value is
// only as fresh as the oldest record it was built from, so a value built
// from a record the cache had held for most of the TTL expires with that
// record, not a whole TTL later.
//
// until is when the value may be served again without calling fill, as far
// as this cache knows: when its oldest record was read, plus the TTL. A
// later change through a Store sharing the Generation ends it earlier.
// until is zero when the value was not kept (a change during fill, or a nil
// Memo).
func (m *Memo[T]) Get(ctx context.Context, key string, fill func(context.Context) (T, error)) (v T, until time.Time, err error) {
	if m == nil {
		v, err = fill(ctx)
		return v, time.Time{}, err
	}
	v, at, err := cached(m.s, ctx, "m\x00"+m.name+"\x00"+key, func(v T) T { return v }, fill)
	if at.IsZero() {
		return v, at, err
	}
	return v, at.Add(m.s.ttl), err
}

// readAt tracks, during a memo's fill, when the oldest record it used was
// read from the store.
type readAt struct {
	mu     sync.Mutex
	oldest time.Time
}

type readAtKey struct{}

// noteRead tells the fill running under ctx, if any, that it used a value
// read from the store at at.
func noteRead(ctx context.Context, at time.Time) {
	if r, ok := ctx.Value(readAtKey{}).(*readAt); ok {
		r.mu.Lock()
		if at.Before(r.oldest) {
			r.oldest = at
		}
		r.mu.Unlock()
	}
}

// cached returns the live value of key or reads and keeps it. at is when
// the value's oldest part was read from the store (zero when the value was
// not kept); a value read now counts from before the read began.
func cached[T any](s *Store, ctx context.Context, key string, clone func(T) T, read func(context.Context) (T, error)) (T, time.Time, error) {
	e, g, ok := s.lookup(key)
	if ok {
		noteRead(ctx, e.at)
		return clone(e.v.(T)), e.at, nil
	}
	r := &readAt{oldest: s.now()}
	v, err := read(context.WithValue(ctx, readAtKey{}, r))
	if err != nil {
		return v, time.Time{}, err
	}
	noteRead(ctx, r.oldest)
	if !s.keep(key, clone(v), g, r.oldest) {
		return v, time.Time{}, nil
	}
	return v, r.oldest, nil
}

// Changed tells every cache sharing the generation that records, or
// what is derived from them elsewhere, changed: the store calls it after
// each of its own writes, and a caller after a derived copy outside the
// store changed (the JWKS document in KV), so that nothing read from the
// old copy in the meantime is kept.
func (s *Store) Changed() { s.gen.Bump() }

// Uncached returns a view of the store whose reads always go to the
// store underneath and are not kept, and whose writes drop the caches like
// the Store's own: for read-modify-write code (the admin API, the key
// rotation job), which must never start from a cached record.
func (s *Store) Uncached() storage.Store { return uncached{Store: s.Store, c: s} }

// uncached is the view Uncached returns: the store underneath, with the
// cache's writes.
type uncached struct {
	storage.Store
	c *Store
}

func (u uncached) UpdateTenant(ctx context.Context, t storage.Tenant) error {
	return u.c.UpdateTenant(ctx, t)
}

func (u uncached) DeleteTenant(ctx context.Context, id string) error {
	return u.c.DeleteTenant(ctx, id)
}

func (u uncached) UpdateClient(ctx context.Context, c storage.Client) error {
	return u.c.UpdateClient(ctx, c)
}

func (u uncached) DeleteClient(ctx context.Context, tenantID, id string) error {
	return u.c.DeleteClient(ctx, tenantID, id)
}

func (u uncached) CreateKey(ctx context.Context, k storage.SigningKey) error {
	return u.c.CreateKey(ctx, k)
}

func (u uncached) SetKeyState(ctx context.Context, tenantID, kid string, from, to storage.KeyState, at time.Time) error {
	return u.c.SetKeyState(ctx, tenantID, kid, from, to, at)
}

func (u uncached) DeleteKey(ctx context.Context, tenantID, kid string) error {
	return u.c.DeleteKey(ctx, tenantID, kid)
}

// GetTenant reads through the cache.
func (s *Store) GetTenant(ctx context.Context, id string) (storage.Tenant, error) {
	v, _, err := cached(s, ctx, "t\x00"+id, cloneTenant, func(ctx context.Context) (storage.Tenant, error) { return s.Store.GetTenant(ctx, id) })
	return v, err
}

// GetClient reads through the cache.
func (s *Store) GetClient(ctx context.Context, tenantID, id string) (storage.Client, error) {
	v, _, err := cached(s, ctx, "c\x00"+tenantID+"\x00"+id, cloneClient, func(ctx context.Context) (storage.Client, error) {
		return s.Store.GetClient(ctx, tenantID, id)
	})
	return v, err
}

// ListKeys reads through the cache.
func (s *Store) ListKeys(ctx context.Context, tenantID string) ([]storage.SigningKey, error) {
	v, _, err := cached(s, ctx, "k\x00"+tenantID, cloneKeys, func(ctx context.Context) ([]storage.SigningKey, error) {
		return s.Store.ListKeys(ctx, tenantID)
	})
	return v, err
}

// UpdateTenant writes, then drops the caches.
func (s *Store) UpdateTenant(ctx context.Context, t storage.Tenant) error {
	defer s.Changed()
	return s.Store.UpdateTenant(ctx, t)
}

// DeleteTenant writes, then drops the caches.
func (s *Store) DeleteTenant(ctx context.Context, id string) error {
	defer s.Changed()
	return s.Store.DeleteTenant(ctx, id)
}

// UpdateClient writes, then drops the caches.
func (s *Store) UpdateClient(ctx context.Context, c storage.Client) error {
	defer s.Changed()
	return s.Store.UpdateClient(ctx, c)
}

// DeleteClient writes, then drops the caches.
func (s *Store) DeleteClient(ctx context.Context, tenantID, id string) error {
	defer s.Changed()
	return s.Store.DeleteClient(ctx, tenantID, id)
}

// CreateKey writes, then drops the caches.
func (s *Store) CreateKey(ctx context.Context, k storage.SigningKey) error {
	defer s.Changed()
	return s.Store.CreateKey(ctx, k)
}

// SetKeyState writes, then drops the caches.
func (s *Store) SetKeyState(ctx context.Context, tenantID, kid string, from, to storage.KeyState, at time.Time) error {
	defer s.Changed()
	return s.Store.SetKeyState(ctx, tenantID, kid, from, to, at)
}

// DeleteKey writes, then drops the caches.
func (s *Store) DeleteKey(ctx context.Context, tenantID, kid string) error {
	defer s.Changed()
	return s.Store.DeleteKey(ctx, tenantID, kid)
}

func cloneTenant(t storage.Tenant) storage.Tenant {
	t.Settings.AllowedResources = slices.Clone(t.Settings.AllowedResources)
	return t
}

func cloneClient(c storage.Client) storage.Client {
	c.SecretHash = slices.Clone(c.SecretHash)
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.ResponseTypes = slices.Clone(c.ResponseTypes)
	c.IntrospectionAudiences = slices.Clone(c.IntrospectionAudiences)
	return c
}

func cloneKeys(ks []storage.SigningKey) []storage.SigningKey {
	ks = slices.Clone(ks)
	for i := range ks {
		ks[i].PublicJWK = slices.Clone(ks[i].PublicJWK)
		ks[i].PrivateSealed = slices.Clone(ks[i].PrivateSealed)
	}
	return ks
}
