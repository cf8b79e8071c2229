package ratelimit

import (
	"context"
	"crypto/sha256"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Rule names a rate limit. Keys are built per tenant, so one tenant's
// attack never throttles another's users.
type Rule string

// The rules, and what each counts. A client IP is its IPv4 address or its
// IPv6 /64 (limitAddr).
const (
	LimitLoginIP   Rule = "login-ip"     // sign-in attempts per tenant and client IP
	LimitLoginUser Rule = "login-user"   // sign-in attempts per tenant and username, from every address
	LimitToken     Rule = "token-client" // token, revocation and introspection requests per client
	// LimitClientMetadata: fetches of Client ID Metadata Documents per
	// tenant and client IP (each is an outbound request a stranger can
	// cause).
	LimitClientMetadata Rule = "client-metadata"
	LimitRegister       Rule = "register-ip" // registrations per tenant and client IP
	LimitAdminFails     Rule = "admin-fail"  // failed admin authentications per client IP
	LimitAdmin          Rule = "admin"       // admin API requests per client IP (bounds a leaked token)
	// LimitDeviceAuthorization: device authorization requests (RFC 8628)
	// per tenant, client and client IP. A public client makes them without
	// any user, and each stores a row until it expires: this bounds them.
	LimitDeviceAuthorization Rule = "device-authorization"
	// LimitUserCode: user codes typed on the device verification page per
	// tenant and client IP: guesses (RFC 8628 §5.1).
	LimitUserCode Rule = "user-code"
)

// Limiter decides whether one more request of rule by key is allowed; when
// it is not, retryAfter says when to try again. In the Worker it is the
// Workers Rate Limiting binding (approximate, per Cloudflare location);
// natively MemoryLimiter (exact for the one process).
type Limiter interface {
	Allow(ctx context.Context, rule Rule, key string) (ok bool, retryAfter time.Duration, err error)
}

// Rate is a fixed-window limit: Limit requests per Period.
type Rate struct {
	Limit  int
	Period time.Duration
}

// DefaultRates are the limits of MemoryLimiter when none are given; the
// Worker's wrangler.toml declares the same numbers for its bindings.
var DefaultRates = map[Rule]Rate{
	LimitLoginIP:        {60, time.Minute},
	LimitLoginUser:      {100, time.Minute}, // above what one address may send (LimitLoginIP): no stranger alone throttles a user
	LimitToken:          {6000, time.Minute},
	LimitClientMetadata: {20, time.Minute},
	LimitRegister:       {20, time.Minute},
	LimitAdminFails:     {30, time.Minute},
	LimitAdmin:          {6000, time.Minute},
	// 20 a minute, each living 10 minutes: at most 200 live requests per
	// client and address.
	LimitDeviceAuthorization: {20, time.Minute},
	// 20^8 user codes: a million guesses find a given one once in 25,000.
	LimitUserCode: {30, time.Minute},
}

// memoryLimiterMax bounds the windows a MemoryLimiter keeps: about 26 MB
// when full, keys being at most maxLimitKey bytes.
const memoryLimiterMax = 100_000

// maxLimitKey is the longest key kept as is; longer ones (a username is
// counted before its length is checked) are kept as their SHA-256.
const maxLimitKey = 128

// MemoryLimiter is a fixed-window limiter in memory, exact for the one
// process.
//
// Every call costs O(1) amortised, however many keys there are: windows
// are queued by their end (one queue per distinct Period, so each queue is
// in order), and each call first drops, from the heads of the queues, the
// windows whose own Period has ended. Nothing walks the whole map.
//
// Memory is bounded: at most 100,000 windows are kept (about 26 MB). When
// that many are live and a new key comes, the window that ends first is
// forgotten (its key starts afresh on its next request); a new key is never
// refused for lack of room, so filling the map locks nobody out. What an
// attacker gains: by opening more than 100,000 new windows within one
// Period (with DefaultRates, 100,000 new keys in a minute, some 1,700 a
// second; a request opens at most two) it makes the limiter forget
// counters early, so a key may get up to one more Limit in that Period.
// Per-address keys count an IPv6 /64 as one address (see limitAddr), so
// this takes many IPv4 addresses or /64s; the lockout of each account is
// in the store and does not depend on this limiter.
type MemoryLimiter struct {
	rules map[Rule]memRule // read-only after NewMemoryLimiter
	qs    []*winQueue      // one per distinct Period
	now   func() time.Time
	max   int // memoryLimiterMax; smaller in tests

	mu      sync.Mutex
	wins    map[string]*window
	visits  int // windows looked at by expiry and eviction, for tests
	evicted int // live windows forgotten because the map was full
}

type memRule struct {
	rate Rate
	q    *winQueue
}

// window is one key's current window, linked in its Period's queue.
type window struct {
	key        string
	end        time.Time // start + Period
	count      int
	q          *winQueue
	prev, next *window
}

// winQueue holds the windows of one Period, oldest (soonest to end)
// first: a window is appended when it starts, with the largest end so far.
type winQueue struct{ head, tail *window }

func (q *winQueue) push(w *window) {
	w.q, w.prev, w.next = q, q.tail, nil
	if q.tail != nil {
		q.tail.next = w
	} else {
		q.head = w
	}
	q.tail = w
}

func (q *winQueue) remove(w *window) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		q.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		q.tail = w.prev
	}
	w.prev, w.next = nil, nil
}

// NewMemoryLimiter returns a limiter with rates (nil: DefaultRates), read
// once here; now nil means time.Now.
func NewMemoryLimiter(rates map[Rule]Rate, now func() time.Time) *MemoryLimiter {
	if rates == nil {
		rates = DefaultRates
	}
	if now == nil {
		now = time.Now
	}
	m := &MemoryLimiter{rules: map[Rule]memRule{}, now: now, max: memoryLimiterMax, wins: map[string]*window{}}
	byPeriod := map[time.Duration]*winQueue{}
	for rule, rate := range rates {
		q := byPeriod[rate.Period]
		if q == nil {
			q = &winQueue{}
			byPeriod[rate.Period] = q
			m.qs = append(m.qs, q)
		}
		m.rules[rule] = memRule{rate: rate, q: q}
	}
	return m
}

// Allow implements Limiter. A rule without a rate is not limited.
func (m *MemoryLimiter) Allow(_ context.Context, rule Rule, key string) (bool, time.Duration, error) {
	r, ok := m.rules[rule]
	if !ok {
		return true, 0, nil
	}
	k := limitKey(rule, key)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now() // under the lock, so each queue is in order of end
	m.expire(now)
	w := m.wins[k]
	switch {
	case w == nil:
		if len(m.wins) >= m.max {
			m.evict()
		}
		w = &window{key: k, end: now.Add(r.rate.Period)}
		r.q.push(w)
		m.wins[k] = w
	case !now.Before(w.end): // ended but not dropped: out of queue order after the clock went back
		w.q.remove(w)
		w.end, w.count = now.Add(r.rate.Period), 0
		r.q.push(w)
	}
	if w.count >= r.rate.Limit {
		return false, w.end.Sub(now), nil
	}
	w.count++
	return true, 0, nil
}

// expire drops the windows that have ended from the head of each queue:
// each window is dropped once, so this is O(1) amortised per call.
func (m *MemoryLimiter) expire(now time.Time) {
	for _, q := range m.qs {
		for w := q.head; w != nil; w = q.head {
			m.visits++
			if now.Before(w.end) {
				break
			}
			q.remove(w)
			delete(m.wins, w.key)
		}
	}
}

// evict forgets the live window that ends first, to make room.
func (m *MemoryLimiter) evict() {
	var first *window
	for _, q := range m.qs {
		if w := q.head; w != nil && (first == nil || w.end.Before(first.end)) {
			first = w
		}
	}
	if first == nil {
		return
	}
	m.visits++
	m.evicted++
	first.q.remove(first)
	delete(m.wins, first.key)
}

// limitKey is the map key of rule and key; a key longer than maxLimitKey
// is replaced by its SHA-256, marked so it never equals a short key.
func limitKey(rule Rule, key string) string {
	if len(key) <= maxLimitKey {
		return string(rule) + "\x00" + key
	}
	sum := sha256.Sum256([]byte(key))
	return string(rule) + "\x01" + string(sum[:])
}

// ClientIP is the client's address as a rate-limit key (its only use):
// the header named (CF-Connecting-IP in the Worker, set by Cloudflare; a
// trusted proxy's, never one clients can set unchecked) or, when header is
// empty, RemoteAddr, through limitAddr, so an IPv6 client counts by its
// /64. For the full address (logs, audit), read it separately.
func ClientIP(r *http.Request, header string) string {
	if h := header; h != "" {
		return limitAddr(r.Header.Get(h))
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return limitAddr(r.RemoteAddr)
	}
	return limitAddr(host)
}

// limitAddr is the rate-limit key of a client address: an IPv4 address as
// it is, an IPv6 address by its /64 ("2001:db8:1:2::/64"). One subscriber
// gets at least a /64 (RFC 6177) and may use any address in it, so keying
// on the full address would let one client bypass every per-address limit;
// a whole /64 shares one allowance instead. An IPv4-mapped IPv6 address
// counts as its IPv4 address, a zone is dropped, and anything that is not
// an address is returned unchanged.
func limitAddr(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
