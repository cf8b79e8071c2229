package authz

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Rule names a rate limit. Keys are built per tenant, so one tenant's
// attack never throttles another's users.
type Rule string

// The rules, and what each counts.
const (
	LimitLoginIP    Rule = "login-ip"     // sign-in attempts per tenant and client IP
	LimitLoginUser  Rule = "login-user"   // sign-in attempts per tenant and username
	LimitToken      Rule = "token-client" // token, revocation and introspection requests per client
	LimitRegister   Rule = "register-ip"  // registrations per tenant and client IP
	LimitAdminFails Rule = "admin-fail"   // failed admin authentications per client IP
	LimitAdmin      Rule = "admin"        // admin API requests per client IP (bounds a leaked token)
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
	LimitLoginIP:    {60, time.Minute},
	LimitLoginUser:  {20, time.Minute},
	LimitToken:      {6000, time.Minute},
	LimitRegister:   {20, time.Minute},
	LimitAdminFails: {30, time.Minute},
	LimitAdmin:      {6000, time.Minute},
}

// MemoryLimiter is a fixed-window limiter in memory.
type MemoryLimiter struct {
	rates map[Rule]Rate
	now   func() time.Time
	mu    sync.Mutex
	wins  map[string]*window
}

type window struct {
	start time.Time
	count int
}

// NewMemoryLimiter returns a limiter with rates (nil: DefaultRates); now
// nil means time.Now.
func NewMemoryLimiter(rates map[Rule]Rate, now func() time.Time) *MemoryLimiter {
	if rates == nil {
		rates = DefaultRates
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryLimiter{rates: rates, now: now, wins: map[string]*window{}}
}

// Allow implements Limiter. A rule without a rate is not limited.
func (m *MemoryLimiter) Allow(_ context.Context, rule Rule, key string) (bool, time.Duration, error) {
	rate, ok := m.rates[rule]
	if !ok {
		return true, 0, nil
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.wins) > 100_000 { // forget finished windows now and then
		for k, w := range m.wins {
			if now.Sub(w.start) >= time.Hour {
				delete(m.wins, k)
			}
		}
	}
	k := string(rule) + "\x00" + key
	w := m.wins[k]
	if w == nil || now.Sub(w.start) >= rate.Period {
		w = &window{start: now}
		m.wins[k] = w
	}
	if w.count >= rate.Limit {
		return false, w.start.Add(rate.Period).Sub(now), nil
	}
	w.count++
	return true, 0, nil
}

// limit applies rule to key and answers 429 too_many_requests with
// Retry-After when it is exceeded. A limiter failure lets the request
// through, logged: the lockout and the other controls still hold.
func (s *Server) limit(ctx context.Context, rule Rule, key string) error {
	ok, retry, err := s.cfg.Limiter.Allow(ctx, rule, key)
	if err != nil {
		s.log.WarnContext(ctx, "rate limiter failed", "rule", string(rule), "err", err)
		return nil
	}
	if ok {
		return nil
	}
	return &Error{Code: CodeTooManyRequests, Description: "too many requests; try again later", RetryAfter: max(retry, time.Second)}
}

// clientIP is the address the request came from: Config.ClientIPHeader
// (CF-Connecting-IP in the Worker, set by Cloudflare) or RemoteAddr.
func (s *Server) clientIP(r *http.Request) string {
	if h := s.cfg.ClientIPHeader; h != "" {
		return r.Header.Get(h)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func retryAfterHeader(d time.Duration) string {
	return strconv.Itoa(int((d + time.Second - 1) / time.Second))
}
