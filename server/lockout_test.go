//go:build !js

package server_test

import (
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage/kv"
)

// TestLockoutHoldsUnderConcurrentGuesses: a burst of guesses sent at once
// for one username gets at most lockoutFree (5) password checks; the rest
// are refused unchecked (RFC 6819
// §4.4.3.6), and the username is locked afterwards, for the right
// password too. Each check is slowed down so that the burst overlaps: had
// the streak been read before and counted after the check, all twenty
// would have been checked.
func TestLockoutHoldsUnderConcurrentGuesses(t *testing.T) {
	var checks atomic.Int64
	admin := strings.Repeat("a", 32)
	ls := startServer(t, server.Config{AdminToken: admin, Sealer: testSealer(),
		Store: newTestStore(t), KV: kv.NewMemory(time.Now),
		Limiter: ratelimit.NewMemoryLimiter(map[ratelimit.Rule]ratelimit.Rate{}, nil), // only the lockout limits here
		DeriveKey: func(pw, salt []byte, iter, n int) ([]byte, error) {
			checks.Add(1)
			time.Sleep(100 * time.Millisecond) // overlap, not a timed assertion
			h := sha256.Sum256(append(append([]byte{}, pw...), salt...))
			return h[:n], nil
		}})
	do := func(method, path, ctype, body string, h ...string) (int, string, string) {
		r := ls.do(method, path, ctype, body, h...)
		return r.status, r.body, r.loc
	}
	ls.mustAdmin("POST", "/admin/v1/tenants", `{"id":"acme"}`, 201)
	ls.mustAdmin("POST", "/admin/v1/tenants/acme/clients", `{"client_id":"app","token_endpoint_auth_method":"none","first_party":true,"redirect_uris":["http://127.0.0.1/cb"],"grant_types":["authorization_code"]}`, 201)
	ls.mustAdmin("POST", "/admin/v1/tenants/acme/users", `{"username":"alice","password":"the right one"}`, 201)
	checks.Store(0)

	_, _, loc := do("GET", authorizePath("app"), "", "")
	_, page, _ := do("GET", loc, "", "")
	form := pageForm(page, url.Values{"username": {"alice"}})
	if form.Get("req") == "" {
		t.Fatalf("no login form: %.300s", page)
	}

	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set("password", "guess "+string(rune('a'+i)))
			codes[i], _, _ = do("POST", "/t/acme/login", "application/x-www-form-urlencoded", f.Encode())
		}()
	}
	wg.Wait()
	if n := checks.Load(); n > 5 {
		t.Errorf("%d passwords checked for one username in a burst; the lockout allows 5 (answers %v)", n, codes)
	}
	form.Set("password", "the right one")
	if code, _, _ := do("POST", "/t/acme/login", "application/x-www-form-urlencoded", form.Encode()); code != http.StatusTooManyRequests {
		t.Errorf("the right password after the burst: %d; want 429, the username is locked", code)
	}
	refused := 0
	for _, c := range codes {
		if c == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused < 15 {
		t.Errorf("%d of 20 guesses refused; want at least 15 (answers %v)", refused, codes)
	}
}
