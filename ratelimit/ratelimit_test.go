package ratelimit

import (
	"context"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The reviewer's scenario: 100,000 live windows from ever-new IPv6
// addresses. Allow must not walk them: the windows it looks at (expiry and
// eviction) stay a handful per call, however full the map is.
func TestMemoryLimiterNoScan(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemoryLimiter(nil, func() time.Time { return now })
	ctx := context.Background()
	for i := range memoryLimiterMax {
		m.Allow(ctx, LimitAdminFails, "2001:db8::"+strconv.FormatInt(int64(i), 16))
	}
	if len(m.wins) != memoryLimiterMax {
		t.Fatalf("%d windows; want %d", len(m.wins), memoryLimiterMax)
	}
	const calls = 1000
	before := m.visits
	for i := range calls {
		now = now.Add(time.Millisecond) // live windows, none ended
		m.Allow(ctx, LimitAdmin, "x"+strconv.Itoa(i))
		m.Allow(ctx, LimitAdminFails, "2001:db8::1")
	}
	// Per call: one look at each queue's head, plus one eviction.
	if got, limit := m.visits-before, 2*calls*(len(m.qs)+1); got > limit {
		t.Errorf("%d calls looked at %d windows; want at most %d (no walk of the map)", 2*calls, got, limit)
	}
	if len(m.wins) > memoryLimiterMax {
		t.Errorf("%d windows; want at most %d", len(m.wins), memoryLimiterMax)
	}
}

// A window is dropped once its own Period has ended, not an hour later,
// and the windows of a longer Period are kept until theirs ends.
func TestMemoryLimiterDropsEndedWindows(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemoryLimiter(map[Rule]Rate{
		LimitLoginIP: {2, time.Minute},
		LimitAdmin:   {2, time.Hour},
	}, func() time.Time { return now })
	ctx := context.Background()
	for i := range 10 {
		m.Allow(ctx, LimitLoginIP, "ip"+strconv.Itoa(i))
		m.Allow(ctx, LimitAdmin, "a"+strconv.Itoa(i))
	}
	m.Allow(ctx, LimitAdmin, "a0") // a0 has one left
	if len(m.wins) != 20 {
		t.Fatalf("%d windows; want 20", len(m.wins))
	}
	now = now.Add(time.Minute - time.Nanosecond)
	m.Allow(ctx, LimitLoginIP, "other") // ends at 2m
	if len(m.wins) != 21 {
		t.Errorf("%d windows just before the minute ended; want 21", len(m.wins))
	}
	now = now.Add(time.Nanosecond)
	m.Allow(ctx, LimitLoginIP, "other")
	if len(m.wins) != 11 {
		t.Errorf("%d windows once the minute ended; want 11 (the hour's and other)", len(m.wins))
	}
	for i := range 10 {
		if _, ok := m.wins[limitKey(LimitLoginIP, "ip"+strconv.Itoa(i))]; ok {
			t.Errorf("ended window ip%d kept", i)
		}
	}
	if ok, retry, _ := m.Allow(ctx, LimitAdmin, "a0"); ok || retry != 59*time.Minute {
		t.Errorf("a0 = %v, retry %v; want refused for 59m (its count survived)", ok, retry)
	}
	now = now.Add(59 * time.Minute)
	m.Allow(ctx, LimitLoginIP, "new")
	if len(m.wins) != 1 {
		t.Errorf("%d windows once the hour ended; want 1", len(m.wins))
	}
	if ok, _, _ := m.Allow(ctx, LimitAdmin, "a0"); !ok {
		t.Errorf("a0 refused after its window ended")
	}
}

// Ever-new keys keep the map at its bound; a new key is never refused for
// lack of room, and the window forgotten is the one that ends first.
func TestMemoryLimiterBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemoryLimiter(map[Rule]Rate{
		LimitLoginUser: {1, time.Minute},
		LimitAdmin:     {1, time.Hour},
	}, func() time.Time { return now })
	m.max = 1000
	ctx := context.Background()
	m.Allow(ctx, LimitAdmin, "hour")    // ends in an hour
	m.Allow(ctx, LimitLoginUser, "old") // ends first
	for i := range 10 * m.max {
		now = now.Add(time.Millisecond) // 10 s in all: every window live
		if ok, _, _ := m.Allow(ctx, LimitLoginUser, "u"+strconv.Itoa(i)); !ok {
			t.Fatalf("new key %d refused", i)
		}
		if len(m.wins) > m.max {
			t.Fatalf("%d windows after %d new keys; want at most %d", len(m.wins), i+1, m.max)
		}
	}
	if m.evicted != 10*m.max+2-m.max {
		t.Errorf("%d evicted; want %d", m.evicted, 10*m.max+2-m.max)
	}
	checkQueues(t, m)
	if ok, _, _ := m.Allow(ctx, LimitAdmin, "hour"); ok {
		t.Errorf("the window that ends last was forgotten")
	}
	if ok, _, _ := m.Allow(ctx, LimitLoginUser, "u"+strconv.Itoa(10*m.max-1)); ok {
		t.Errorf("the newest window was forgotten")
	}
	if ok, _, _ := m.Allow(ctx, LimitLoginUser, "old"); !ok {
		t.Errorf("the window that ends first was kept")
	}
}

// Many goroutines with ever-new and repeated keys, with the clock moving:
// the map stays bounded and the queues hold exactly its windows (run with
// -race).
func TestMemoryLimiterConcurrent(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemoryLimiter(map[Rule]Rate{
		LimitLoginIP:   {5, time.Second},
		LimitLoginUser: {5, 3 * time.Second},
	}, func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Millisecond); return now })
	m.max = 500
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				m.Allow(context.Background(), LimitLoginIP, "ip"+strconv.Itoa(i%50))
				m.Allow(context.Background(), LimitLoginUser, strconv.Itoa(g)+"|"+strconv.Itoa(i))
			}
		})
	}
	wg.Wait()
	if len(m.wins) > m.max {
		t.Errorf("%d windows; want at most %d", len(m.wins), m.max)
	}
	checkQueues(t, m)
}

// checkQueues: every window of the map is in exactly one queue, in order
// of end, and nothing else is.
func checkQueues(t *testing.T, m *MemoryLimiter) {
	t.Helper()
	n := 0
	for _, q := range m.qs {
		var prev *window
		for w := q.head; w != nil; prev, w = w, w.next {
			n++
			if m.wins[w.key] != w || w.q != q || w.prev != prev {
				t.Fatalf("queue holds a window not in the map or mislinked: %q", w.key)
			}
			if prev != nil && w.end.Before(prev.end) {
				t.Errorf("queue out of order at %q", w.key)
			}
		}
		if q.tail != prev {
			t.Errorf("queue tail mislinked")
		}
	}
	if n != len(m.wins) {
		t.Errorf("%d windows in the queues, %d in the map", n, len(m.wins))
	}
}

// Long keys (a username is counted before its length is checked) are
// kept as a hash: bounded memory, still one counter per key.
func TestMemoryLimiterLongKeys(t *testing.T) {
	m := NewMemoryLimiter(map[Rule]Rate{LimitLoginUser: {1, time.Minute}}, nil)
	ctx := context.Background()
	a, b := "acme|"+strings.Repeat("a", 60000), "acme|"+strings.Repeat("a", 59999)+"b"
	if ok, _, _ := m.Allow(ctx, LimitLoginUser, a); !ok {
		t.Fatal("first request refused")
	}
	if ok, _, _ := m.Allow(ctx, LimitLoginUser, a); ok {
		t.Error("a long key is not counted")
	}
	if ok, _, _ := m.Allow(ctx, LimitLoginUser, b); !ok {
		t.Error("two long keys share a counter")
	}
	for k := range m.wins {
		if len(k) > len(LimitLoginUser)+1+maxLimitKey {
			t.Errorf("a key of %d bytes is kept", len(k))
		}
	}
	short := strings.Repeat("s", maxLimitKey)
	if limitKey(LimitLoginUser, short) != string(LimitLoginUser)+"\x00"+short {
		t.Error("a short key is hashed")
	}
}

func TestLimitAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":                        "192.0.2.1",
		"::ffff:192.0.2.1":                 "192.0.2.1",
		"2001:db8:1:2::1":                  "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:ffff:ffff": "2001:db8:1:2::/64",
		"2001:DB8:1:2:0:0:0:9":             "2001:db8:1:2::/64",
		"2001:db8:1:3::1":                  "2001:db8:1:3::/64",
		"fe80::1%eth0":                     "fe80::/64",
		"::1":                              "::/64",
		"":                                 "",
		"not an address":                   "not an address",
	} {
		if got := limitAddr(in); got != want {
			t.Errorf("limitAddr(%q) = %q; want %q", in, got, want)
		}
	}
}

// Every per-address limit counts an IPv6 /64 as one client, from the
// connection's address and from a proxy's header alike.
func TestClientIPKeysBy64(t *testing.T) {
	native, worker := "", "CF-Connecting-IP"
	for _, c := range []struct {
		header     string
		remote, hd string
		want       string
	}{
		{native, "[2001:db8::1]:4000", "", "2001:db8::/64"},
		{native, "[2001:db8::abcd:1]:4001", "", "2001:db8::/64"},
		{native, "[2001:db8:0:1::1]:4000", "", "2001:db8:0:1::/64"},
		{native, "192.0.2.7:4000", "", "192.0.2.7"},
		{worker, "127.0.0.1:1", "2001:db8::7", "2001:db8::/64"},
		{worker, "127.0.0.1:1", "198.51.100.2", "198.51.100.2"},
	} {
		r := httptest.NewRequest("POST", "/t/acme/login", nil)
		r.RemoteAddr = c.remote
		if c.hd != "" {
			r.Header.Set("CF-Connecting-IP", c.hd)
		}
		if got := ClientIP(r, c.header); got != c.want {
			t.Errorf("ClientIP(%s, %q) = %q; want %q", c.remote, c.hd, got, c.want)
		}
	}
	// So one /64 gets one allowance, whichever addresses it uses.
	m := NewMemoryLimiter(map[Rule]Rate{LimitAdminFails: {3, time.Minute}}, nil)
	refused := 0
	for i := range 10 {
		r := httptest.NewRequest("GET", "/admin/v1/tenants", nil)
		r.RemoteAddr = "[2001:db8::" + strconv.FormatInt(int64(i+1), 16) + "]:4000"
		if ok, _, _ := m.Allow(context.Background(), LimitAdminFails, ClientIP(r, native)); !ok {
			refused++
		}
	}
	if refused != 7 {
		t.Errorf("%d of 10 requests from one /64 refused; want 7", refused)
	}
}

// The memory of a full limiter, logged (run with -v): the bound the doc
// comment of MemoryLimiter states.
func TestMemoryLimiterFullSize(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a full limiter")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := NewMemoryLimiter(nil, nil)
	ctx := context.Background()
	key := func(i int) string { // the longest kept as is: maxLimitKey bytes
		k := "tenant|" + strconv.Itoa(i) + "|"
		return k + strings.Repeat("u", maxLimitKey-len(k))
	}
	for i := range memoryLimiterMax {
		m.Allow(ctx, LimitLoginUser, key(i))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	mb := float64(after.HeapAlloc-before.HeapAlloc) / 1e6
	t.Logf("%d windows with %d-byte keys: %.1f MB", len(m.wins), len(key(0)), mb)
	if len(m.wins) != memoryLimiterMax || mb > 30 {
		t.Errorf("a full limiter: %d windows, %.1f MB; want %d and at most 30 MB (SECURITY.md: 26)", len(m.wins), mb, memoryLimiterMax)
	}
	runtime.KeepAlive(m)
}

// BenchmarkMemoryLimiterFull is Allow with ever-new keys at the bound:
// each call drops or evicts one window, never walks the map.
func BenchmarkMemoryLimiterFull(b *testing.B) {
	m := NewMemoryLimiter(nil, nil)
	ctx := context.Background()
	for i := range memoryLimiterMax {
		m.Allow(ctx, LimitAdminFails, "2001:db8::"+strconv.FormatInt(int64(i), 16))
	}
	i := 0
	for b.Loop() {
		i++
		m.Allow(ctx, LimitAdmin, "x"+strconv.Itoa(i))
	}
}

func TestMemoryLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemoryLimiter(map[Rule]Rate{LimitLoginIP: {3, time.Minute}}, func() time.Time { return now })
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if ok, _, _ := m.Allow(ctx, LimitLoginIP, "a"); !ok {
			t.Fatalf("request %d refused; want 3 allowed", i+1)
		}
	}
	ok, retry, _ := m.Allow(ctx, LimitLoginIP, "a")
	if ok || retry != time.Minute {
		t.Errorf("4th request = %v, retry %v; want refused, retry 1m", ok, retry)
	}
	if ok, _, _ := m.Allow(ctx, LimitLoginIP, "b"); !ok {
		t.Errorf("another key was refused")
	}
	if ok, _, _ := m.Allow(ctx, LimitToken, "a"); !ok {
		t.Errorf("a rule without a rate was refused")
	}
	now = now.Add(time.Minute)
	if ok, _, _ := m.Allow(ctx, LimitLoginIP, "a"); !ok {
		t.Errorf("refused after the window ended")
	}
}
