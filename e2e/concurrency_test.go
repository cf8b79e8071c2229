package e2e

import (
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// parallel runs f n times at once and returns the statuses.
func parallel(n int, f func() int) []int {
	out := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range out {
		wg.Go(func() { <-start; out[i] = f() })
	}
	close(start)
	wg.Wait()
	return out
}

func count(statuses []int, code int) int {
	n := 0
	for _, s := range statuses {
		if s == code {
			n++
		}
	}
	return n
}

// parallelTokens sends n token requests with form at once and returns
// their statuses and a successful response, if any.
func parallelTokens(t *testing.T, f *fixture, n int, form url.Values) ([]int, response) {
	var mu sync.Mutex
	var won response
	got := parallel(n, func() int {
		r := tokenRequest(t, f, form)
		if r.status == http.StatusOK {
			mu.Lock()
			won = r
			mu.Unlock()
		}
		return r.status
	})
	return got, won
}

// TestParallelRedemption: twenty token requests with one code at once:
// exactly one gets tokens, the others invalid_grant.
func TestParallelRedemption(t *testing.T) {
	f := newFixture(t)
	redirect := "http://127.0.0.1:5000/callback"
	code, v := codeFor(t, f, redirect)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {redirect}, "client_id": {f.public}}
	got, won := parallelTokens(t, f, 20, form)
	if count(got, http.StatusOK) != 1 || count(got, http.StatusBadRequest) != 19 {
		t.Errorf("statuses %v; want exactly one 200 and nineteen 400", got)
	}
	// The token.issued event is stored with the redemption, so the losers
	// leave none.
	checkIssued(t, f, "authorization_code", won)
}

// TestParallelRefresh: twenty refreshes of one token at once: exactly one
// wins the compare-and-set; the others are reuse.
func TestParallelRefresh(t *testing.T) {
	f := newFixture(t)
	redirect := "http://127.0.0.1:5000/callback"
	code, v := codeFor(t, f, redirect)
	tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {redirect}, "client_id": {f.public}})
	mustStatus(t, "exchange", tok, http.StatusOK)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.field("refresh_token")}, "client_id": {f.public}}
	got, won := parallelTokens(t, f, 20, form)
	if count(got, http.StatusOK) != 1 || count(got, http.StatusBadRequest) != 19 {
		t.Errorf("statuses %v; want exactly one 200 and nineteen 400", got)
	}
	// The token.issued event is stored with the rotation: one event, the
	// winner's.
	checkIssued(t, f, "refresh_token", won)
}

// checkIssued fails t unless the tenant's audit log holds exactly one
// token.issued event of grant type gt, and it names the jti, the subject
// and the scope of the access token in won.
func checkIssued(t *testing.T, f *fixture, gt string, won response) {
	t.Helper()
	var page struct {
		Events []struct {
			Subject string `json:"subject"`
			Detail  struct {
				GrantType string `json:"grant_type"`
				JTI       string `json:"jti"`
				Scope     string `json:"scope"`
			} `json:"detail"`
		} `json:"events"`
	}
	adminDo(t, "GET", "/admin/v1/tenants/"+f.tenant+"/audit?event=token.issued&limit=1000", nil).decode(t, &page)
	var jtis, about []string
	for _, e := range page.Events {
		if e.Detail.GrantType == gt {
			jtis = append(jtis, e.Detail.JTI)
			about = append(about, e.Subject+" "+e.Detail.Scope)
		}
	}
	var claims struct {
		JTI     string `json:"jti"`
		Subject string `json:"sub"`
		Scope   string `json:"scope"`
	}
	if at := won.field("access_token"); at != "" {
		tok, err := jwt.ParseSigned(at, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
		if err != nil {
			t.Fatalf("the issued access token: %v", err)
		}
		if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
			t.Fatalf("the issued access token's claims: %v", err)
		}
	}
	if len(jtis) != 1 || jtis[0] != claims.JTI {
		t.Errorf("token.issued events of %s name jtis %q; want exactly the issued token's %q", gt, jtis, claims.JTI)
	} else if want := claims.Subject + " " + claims.Scope; about[0] != want {
		t.Errorf("token.issued event of %s is about %q; want the token's subject and scope %q", gt, about[0], want)
	}
}

// TestConcurrentRotation: concurrent scheduled jobs and concurrent "rotate
// now" calls end with one current and one next key per use, and lose no
// key that signed.
func TestConcurrentRotation(t *testing.T) {
	f := newFixture(t)
	crons := parallel(5, func() int {
		if err := target.runCron(); err != nil {
			return 0
		}
		return 200
	})
	if count(crons, 200) != 5 {
		t.Fatalf("concurrent scheduled jobs: %v; want all to run", crons)
	}
	before := listKeys(t, f.tenant)
	cur0, _ := keyIn(before, "access", "current")
	rot := parallel(5, func() int { return adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/keys/rotate", nil).status })
	if count(rot, 200) != 5 {
		t.Errorf("concurrent rotations: %v; want all 200", rot)
	}
	keys := listKeys(t, f.tenant)
	for _, use := range []string{"access", "id"} {
		if _, n := keyIn(keys, use, "current"); n != 1 {
			t.Errorf("%s keys: %d current; want 1 (%+v)", use, n, keys)
		}
		if _, n := keyIn(keys, use, "next"); n != 1 {
			t.Errorf("%s keys: %d next; want 1 (%+v)", use, n, keys)
		}
	}
	found := false
	for _, k := range keys {
		found = found || k.KID == cur0.KID
	}
	if !found {
		t.Errorf("the key that signed before the rotations is gone; want it retired")
	}
}
