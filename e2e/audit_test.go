package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

type auditPage struct {
	Events []struct {
		ID      int64  `json:"id"`
		Tenant  string `json:"tenant"`
		Event   string `json:"event"`
		Actor   string `json:"actor"`
		Subject string `json:"subject"`
		Source  string `json:"source"`
		Count   int64  `json:"count"`
	} `json:"events"`
	NextBefore int64 `json:"next_before"`
}

func TestAuditLog(t *testing.T) {
	f := newFixture(t)
	// A failed and a successful login, then tokens.
	cfg := f.publicConfig("5000", "read")
	nb := newBrowser(t, f.username, "wrong password!")
	nb.authorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	code, v := codeFor(t, f, "http://127.0.0.1:5000/callback")
	tok := tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {"http://127.0.0.1:5000/callback"}, "client_id": {f.public}})
	mustStatus(t, "exchange", tok, http.StatusOK)
	cc := tokenRequest(t, f, url.Values{"grant_type": {"client_credentials"}, "client_id": {f.svc}, "client_secret": {f.svcSecret}})
	mustStatus(t, "client_credentials", cc, http.StatusOK)
	refreshed := tokenRequest(t, f, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.field("refresh_token")}, "client_id": {f.public}})
	mustStatus(t, "refresh", refreshed, http.StatusOK)
	checkIssued(t, f, "client_credentials", cc)
	checkIssued(t, f, "authorization_code", tok)
	checkIssued(t, f, "refresh_token", refreshed)
	request{method: "GET", path: "/admin/v1/tenants/" + f.tenant, header: map[string]string{"Authorization": "Bearer wrong"}}.do(t)

	r := adminDo(t, "GET", "/admin/v1/tenants/"+f.tenant+"/audit?limit=1000", nil)
	mustStatus(t, "audit", r, http.StatusOK)
	var page auditPage
	r.decode(t, &page)
	var events []string
	for _, e := range page.Events {
		events = append(events, e.Event)
	}
	for _, want := range []string{"tenant.created", "user.created", "client.created", "login.failed", "login.succeeded", "token.issued"} {
		if !slices.Contains(events, want) {
			t.Errorf("audit log lacks %q: %v", want, events)
		}
	}
	for _, secret := range []string{f.password, f.webSecret, f.svcSecret, tok.field("access_token"), tok.field("refresh_token"), code, target.adminToken} {
		if secret != "" && strings.Contains(string(r.body), secret) {
			t.Errorf("the audit log contains a secret")
		}
	}

	// Newest first, paged by next_before, filtered by event.
	r = adminDo(t, "GET", "/admin/v1/tenants/"+f.tenant+"/audit?limit=2", nil)
	var p1, p2 auditPage
	r.decode(t, &p1)
	if len(p1.Events) != 2 || p1.NextBefore == 0 || p1.Events[0].ID < p1.Events[1].ID {
		t.Fatalf("first page: %s", r.body)
	}
	adminDo(t, "GET", "/admin/v1/tenants/"+f.tenant+"/audit?limit=2&before="+itoa(p1.NextBefore), nil).decode(t, &p2)
	if len(p2.Events) == 0 || p2.Events[0].ID >= p1.Events[1].ID {
		t.Errorf("second page does not continue the first: %+v after %+v", p2.Events, p1.Events)
	}
	var failed auditPage
	adminDo(t, "GET", "/admin/v1/tenants/"+f.tenant+"/audit?event=login.failed", nil).decode(t, &failed)
	if len(failed.Events) != 1 || failed.Events[0].Source == "" || failed.Events[0].Count != 1 || failed.Events[0].Actor != "" || failed.Events[0].Subject != "" {
		t.Errorf("event=login.failed: %+v; want the one failure, counted once for its address, naming nobody", failed.Events)
	}
	var sys auditPage
	adminDo(t, "GET", "/admin/v1/audit?event=admin.auth_failed&limit=5", nil).decode(t, &sys)
	if len(sys.Events) == 0 || sys.Events[0].Tenant != "" {
		t.Errorf("admin authentication failures are not logged as events of no tenant: %+v", sys.Events)
	}
	for _, q := range []string{"since=yesterday", "before=x", "limit=0", "limit=1001", "event=a&event=b"} {
		mustStatus(t, "audit?"+q, adminDo(t, "GET", "/admin/v1/tenants/"+f.tenant+"/audit?"+q, nil), http.StatusBadRequest)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
