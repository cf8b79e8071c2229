//go:build !js

package server_test

import (
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/server"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/storagecount"
)

// frozenServer is a server whose clock never moves, with tenant acme, a
// user alice (whose id it returns) and the clients given (JSON client
// metadata).
func frozenServer(t *testing.T, clients ...string) (*liveServer, string) {
	t.Helper()
	now := time.Unix(1_800_000_000, 0)
	ls := startServer(t, server.Config{AdminToken: strings.Repeat("a", 32), Sealer: testSealer(), Store: newTestStore(t),
		KV: kv.NewMemory(func() time.Time { return now }), Now: func() time.Time { return now },
		DeriveKey: func(pw, salt []byte, iter, n int) ([]byte, error) {
			h := sha256.Sum256(append(append([]byte{}, pw...), salt...))
			return h[:n], nil
		}})
	ls.mustAdmin("POST", "/admin/v1/tenants", `{"id":"acme"}`, 201)
	var alice struct{ ID string }
	json.Unmarshal([]byte(ls.mustAdmin("POST", "/admin/v1/tenants/acme/users", `{"username":"alice","password":"the right one"}`, 201)), &alice)
	for _, c := range clients {
		ls.mustAdmin("POST", "/admin/v1/tenants/acme/clients", c, 201)
	}
	return ls, alice.ID
}

// signIn signs alice in through the login page of an authorization
// request and returns where the sign-in sent the browser.
func (l *liveServer) signIn(authorize string) string {
	l.t.Helper()
	loc := l.do("GET", authorize, "", "").loc
	page := l.do("GET", loc, "", "")
	form := pageForm(page.body, url.Values{"username": {"alice"}, "password": {"the right one"}})
	return l.do("POST", "/t/acme/login", "application/x-www-form-urlencoded", form.Encode()).loc
}

// TestPromptLoginSameSecond: prompt=login and max_age=0 MUST make the user
// sign in again (OIDC Core §3.1.2.1), even when the session they had was
// signed in within the same second as the request: its login page's
// request cannot be approved on the consent page with that session.
func TestPromptLoginSameSecond(t *testing.T) {
	ls, alice := frozenServer(t, `{"client_id":"third","token_endpoint_auth_method":"none","redirect_uris":["http://127.0.0.1/cb"],"grant_types":["authorization_code"],"scope":"read"}`)
	if loc := ls.signIn(authorizePath("third")); !strings.Contains(loc, "/consent?req=") {
		t.Fatalf("sign-in: %q; want the consent page", loc)
	}
	for _, extra := range []string{"&prompt=login", "&max_age=0"} {
		loc := ls.do("GET", authorizePath("third")+extra, "", "").loc
		if !strings.Contains(loc, "/login?req=") {
			t.Fatalf("%s: %q; want the login page", extra, loc)
		}
		form := pageForm(ls.do("GET", loc, "", "").body, url.Values{"decision": {"approve"}})
		if got := ls.do("GET", strings.Replace(loc, "/login?", "/consent?", 1), "", ""); !strings.Contains(got.loc, "/login?req=") {
			t.Errorf("%s: the consent page with the session of the same second: %d %q; want the login page", extra, got.status, got.loc)
		}
		form.Set("user", alice)
		r := ls.do("POST", "/t/acme/consent", "application/x-www-form-urlencoded", form.Encode())
		if strings.Contains(r.loc, "code=") || !strings.Contains(r.loc, "/login?req=") {
			t.Errorf("%s: approving with the session of the same second: %d %q; want the login page, no code", extra, r.status, r.loc)
		}
		// A new sign-in, in the same second, satisfies the request.
		page := ls.do("GET", loc, "", "")
		login := pageForm(page.body, url.Values{"username": {"alice"}, "password": {"the right one"}})
		if r := ls.do("POST", "/t/acme/login", "application/x-www-form-urlencoded", login.Encode()); !strings.Contains(r.loc, "/consent?req=") {
			t.Errorf("%s: a new sign-in: %q; want the consent page", extra, r.loc)
		}
	}
}

// TestAuthorizeWritesNothing: an authorization request that waits for a
// sign-in or a consent writes no storage, D1 or KV (DESIGN.md: a pending
// request stays out of storage until the user acts), its login and
// consent pages write none either, and its values are bounded.
func TestAuthorizeWritesNothing(t *testing.T) {
	var counts storagecount.Counter
	store := storagecount.NewStore(newTestStore(t), &counts)
	ls := startServer(t, server.Config{AdminToken: strings.Repeat("a", 32), Sealer: testSealer(), Store: store,
		KV: storagecount.NewKV(kv.NewMemory(time.Now), &counts)})
	ls.mustAdmin("POST", "/admin/v1/tenants", `{"id":"acme"}`, 201)
	ls.mustAdmin("POST", "/admin/v1/tenants/acme/clients", `{"client_id":"third","token_endpoint_auth_method":"none","redirect_uris":["http://127.0.0.1/cb"],"grant_types":["authorization_code"],"scope":"read"}`, 201)
	ls.mustAdmin("POST", "/admin/v1/tenants/acme/users", `{"username":"alice","password":"the right one"}`, 201)
	big := url.Values{"state": {strings.Repeat("s", 1024)}, "nonce": {strings.Repeat("n", 512)}}
	for i := range 5 {
		big.Add("resource", "https://api"+strconv.Itoa(i)+".example/"+strings.Repeat("r", 480))
	}
	ls.do("GET", authorizePath("third"), "", "") // the record cache's first reads
	counts.Reset()
	for range 20 {
		r := ls.do("GET", authorizeWith("third", big), "", "")
		if r.status != 303 || !strings.Contains(r.loc, "/login?req=") {
			t.Fatalf("authorize: %d %q %.200s; want the login page", r.status, r.loc, r.body)
		}
		if page := ls.do("GET", r.loc, "", ""); page.status != 200 {
			t.Fatalf("login page: %d", page.status)
		}
	}
	if c := counts.Snapshot(); c.D1Writes != 0 || c.KVPuts != 0 || c.KVDeletes != 0 {
		t.Errorf("20 authorization requests waiting for a sign-in wrote %d D1 rows and %d KV entries (%v); want none", c.D1Writes, c.KVPuts, c.CallNames())
	}
	// After the sign-in, the consent page shows the same request.
	loc := ls.signIn(authorizeWith("third", big))
	if !strings.Contains(loc, "/consent?req=") {
		t.Fatalf("sign-in: %q; want the consent page", loc)
	}
	if page := ls.do("GET", loc, "", ""); page.status != 200 || !strings.Contains(page.body, "api4.example") {
		t.Errorf("consent page: %d; want 200 naming the resources asked for", page.status)
	}
	// One byte over each bound is refused.
	for name, extra := range map[string]url.Values{
		"state":       {"state": {strings.Repeat("s", 1025)}},
		"nonce":       {"nonce": {strings.Repeat("n", 513)}},
		"resource":    {"resource": {"https://a.example/" + strings.Repeat("r", 512-len("https://a.example/")+1)}},
		"6 resources": {"resource": {"https://a.example/", "https://b.example/", "https://c.example/", "https://d.example/", "https://e.example/", "https://f.example/"}},
	} {
		r := ls.do("GET", authorizeWith("third", extra), "", "")
		if !strings.Contains(r.loc, "error=invalid_") {
			t.Errorf("%s over its bound: %d %q; want an error to the client", name, r.status, r.loc)
		}
	}
	// A sealed request altered by one character, or made for another
	// tenant, does not open.
	ls.mustAdmin("POST", "/admin/v1/tenants", `{"id":"other"}`, 201)
	req := strings.TrimPrefix(loc[strings.Index(loc, "?req="):], "?req=")
	flip := []byte(req)
	flip[len(flip)/2] ^= 1
	for name, path := range map[string]string{
		"altered":        "/t/acme/consent?req=" + string(flip),
		"another tenant": "/t/other/consent?req=" + req,
	} {
		if r := ls.do("GET", path, "", ""); r.status != 400 {
			t.Errorf("%s sealed request: %d; want 400", name, r.status)
		}
	}
}

// docServer answers Client ID Metadata Documents at any https URL of
// docs.example, counting the fetches; /bad answers 500.
type docServer struct{ fetches atomic.Int64 }

func (d *docServer) RoundTrip(r *http.Request) (*http.Response, error) {
	d.fetches.Add(1)
	if r.URL.Path == "/bad" {
		return &http.Response{StatusCode: 500, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}}, nil
	}
	doc := `{"client_id":"` + r.URL.String() + `","client_name":"MCP client","redirect_uris":["http://127.0.0.1/cb"]}`
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(doc)),
		Header: http.Header{"Content-Type": {"application/json"}}}, nil
}

// TestMetadataDocumentsAreBounded: a client_id that is a URL costs an
// outbound fetch, and anyone can send one. Fetches are limited per tenant
// and address (429 past 20 a minute), a failing URL is not fetched again
// on every request, and no such client is stored until a user approves it
// (security issue item 10).
func TestMetadataDocumentsAreBounded(t *testing.T) {
	var counts storagecount.Counter
	docs := &docServer{}
	ls := startServer(t, server.Config{AdminToken: strings.Repeat("a", 32), Sealer: testSealer(),
		Store: storagecount.NewStore(newTestStore(t), &counts), KV: kv.NewMemory(time.Now), MetadataTransport: docs,
		DeriveKey: func(pw, salt []byte, iter, n int) ([]byte, error) {
			h := sha256.Sum256(append(append([]byte{}, pw...), salt...))
			return h[:n], nil
		}})
	ls.mustAdmin("POST", "/admin/v1/tenants", `{"id":"acme","settings":{"client_id_metadata_documents":true}}`, 201)
	ls.mustAdmin("POST", "/admin/v1/tenants/acme/users", `{"username":"alice","password":"the right one"}`, 201)
	token := func(id string) result {
		return ls.do("POST", "/t/acme/token", "application/x-www-form-urlencoded",
			url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "code_verifier": {testVerifier}, "client_id": {id}}.Encode())
	}
	counts.Reset()
	limited := 0
	for i := range 60 {
		r := token("https://docs.example/c" + strconv.Itoa(i))
		switch {
		case r.status == http.StatusTooManyRequests:
			limited++
		case r.status != http.StatusBadRequest:
			t.Fatalf("token request of a new metadata-document client: %d %s", r.status, r.body)
		}
	}
	if n := docs.fetches.Load(); n != 20 || limited != 40 {
		t.Errorf("60 new metadata-document clients: %d fetches, %d answered 429; want 20 and 40", n, limited)
	}
	if c := counts.Snapshot(); c.Calls["CreateClient"] != 0 || c.Calls["UpdateClient"] != 0 {
		t.Errorf("token requests of unknown clients stored clients: %v", c.Calls)
	}

	// A failing URL: fetched once, then answered from memory.
	ls2 := startServer(t, server.Config{AdminToken: strings.Repeat("a", 32), Sealer: testSealer(), Store: newTestStore(t), KV: kv.NewMemory(time.Now), MetadataTransport: docs})
	ls2.mustAdmin("POST", "/admin/v1/tenants", `{"id":"acme","settings":{"client_id_metadata_documents":true}}`, 201)
	docs.fetches.Store(0)
	for range 10 {
		ls2.do("GET", authorizeWith("https://docs.example/bad", url.Values{"redirect_uri": {"http://127.0.0.1/cb"}}), "", "")
	}
	if n := docs.fetches.Load(); n != 1 {
		t.Errorf("10 authorization requests of a failing document: %d fetches; want 1", n)
	}

	// The client is stored once a user approves it, not before.
	ls2.mustAdmin("POST", "/admin/v1/tenants/acme/users", `{"username":"alice","password":"the right one"}`, 201)
	id := "https://docs.example/approved"
	loc := ls2.signIn(authorizeWith(id, url.Values{"redirect_uri": {"http://127.0.0.1/cb"}}))
	if !strings.Contains(loc, "/consent?req=") {
		t.Fatalf("sign-in with a metadata-document client: %q; want the consent page", loc)
	}
	if got := ls2.mustAdmin("GET", "/admin/v1/tenants/acme/clients", "", 200); strings.Contains(got, "docs.example") {
		t.Errorf("the client is stored before the user approved it: %s", got)
	}
	page := ls2.do("GET", loc, "", "")
	form := pageForm(page.body, url.Values{"decision": {"approve"}})
	form.Set("user", regexp.MustCompile(`name="user" value="([^"]*)"`).FindStringSubmatch(page.body)[1])
	if r := ls2.do("POST", "/t/acme/consent", "application/x-www-form-urlencoded", form.Encode()); !strings.Contains(r.loc, "code=") {
		t.Fatalf("approving: %d %q", r.status, r.loc)
	}
	if got := ls2.mustAdmin("GET", "/admin/v1/tenants/acme/clients", "", 200); !strings.Contains(got, id) {
		t.Errorf("the approved client is not stored: %s", got)
	}
}
