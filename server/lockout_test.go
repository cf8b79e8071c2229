//go:build !js

package server_test

import (
	"crypto/sha256"
	"net/http"
	"net/url"
	"strconv"
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

// TestLockoutIsPerAddress: five wrong guesses from one address lock the
// username for that address only; the user signs in from theirs. Guesses
// from many addresses together, none of them locked on its own, reach
// the slower limit of the username everywhere (50).
func TestLockoutIsPerAddress(t *testing.T) {
	ls := startServer(t, server.Config{AdminToken: strings.Repeat("a", 32), Sealer: testSealer(),
		Store: newTestStore(t), KV: kv.NewMemory(time.Now), ClientIPHeader: "X-Test-Client",
		Limiter: ratelimit.NewMemoryLimiter(map[ratelimit.Rule]ratelimit.Rate{}, nil), // only the lockout limits here
		DeriveKey: func(pw, salt []byte, iter, n int) ([]byte, error) {
			h := sha256.Sum256(append(append([]byte{}, pw...), salt...))
			return h[:n], nil
		}})
	ls.mustAdmin("POST", "/admin/v1/tenants", `{"id":"acme"}`, 201)
	ls.mustAdmin("POST", "/admin/v1/tenants/acme/clients", `{"client_id":"app","token_endpoint_auth_method":"none","first_party":true,"redirect_uris":["http://127.0.0.1/cb"],"grant_types":["authorization_code"]}`, 201)
	ls.mustAdmin("POST", "/admin/v1/tenants/acme/users", `{"username":"alice","password":"the right one"}`, 201)
	signIn := func(addr, password string) int {
		ls.forgetCookies()
		page := ls.do("GET", ls.do("GET", authorizePath("app"), "", "", "X-Test-Client", addr).loc, "", "", "X-Test-Client", addr)
		form := pageForm(page.body, url.Values{"username": {"alice"}, "password": {password}})
		r := ls.do("POST", "/t/acme/login", "application/x-www-form-urlencoded", form.Encode(), "X-Test-Client", addr)
		if r.status == http.StatusSeeOther && strings.Contains(r.loc, "code=") {
			return http.StatusOK // signed in
		}
		return r.status
	}
	for range 5 {
		if got := signIn("192.0.2.1", "wrong"); got != http.StatusOK && got != 200 {
			t.Fatalf("a wrong guess: %d", got)
		}
	}
	if got := signIn("192.0.2.1", "the right one"); got != http.StatusTooManyRequests {
		t.Errorf("the guesser's address after 5 failures: %d; want 429", got)
	}
	if got := signIn("198.51.100.7", "the right one"); got != http.StatusOK {
		t.Errorf("the user's own address after a stranger's 5 failures: %d; want signed in", got)
	}
	// 4 guesses from each of 13 addresses: 52 in all, none locked alone.
	for i := range 13 {
		for range 4 {
			signIn("203.0.113."+strconv.Itoa(i+1), "wrong")
		}
	}
	if got := signIn("198.51.100.8", "the right one"); got != http.StatusTooManyRequests {
		t.Errorf("after 52 failures from 13 addresses, another address: %d; want 429 (the username's limit everywhere)", got)
	}
}
