package e2e

import (
	"database/sql"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/edgeauth/edgeauth/storage/kv"
)

// stateSize is what a server keeps: its database and KV, and its memory.
type stateSize struct {
	dbBytes   int64 // the database's pages (SQLite natively, local D1 under wrangler)
	kvEntries int64 // live entries (native) or stored values (local KV)
	memBytes  int64 // heap in use after a collection (native) or the largest wasm instance
}

// nativeState measures the native server of this process.
func nativeState(db *sql.DB, m *kv.Memory) stateSize {
	var pages, size int64
	db.QueryRow(`PRAGMA page_count`).Scan(&pages)
	db.QueryRow(`PRAGMA page_size`).Scan(&size)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return stateSize{dbBytes: pages * size, kvEntries: int64(m.Len()), memBytes: int64(ms.HeapInuse)}
}

// wranglerState measures wrangler dev's local state under its persist
// folder: the pages of the local D1 databases (read-only, like any other
// reader of a SQLite file), the values of local KV (a file each), and the
// pool's largest wasm instance.
func wranglerState(persist string) stateSize {
	var st stateSize
	filepath.WalkDir(filepath.Join(persist, "v3"), func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil || d.IsDir():
		case strings.Contains(p, string(filepath.Separator)+"d1"+string(filepath.Separator)) && strings.HasSuffix(p, ".sqlite"):
			if db, err := sql.Open("sqlite", "file:"+p+"?mode=ro"); err == nil {
				var pages, size int64
				db.QueryRow(`PRAGMA page_count`).Scan(&pages)
				db.QueryRow(`PRAGMA page_size`).Scan(&size)
				db.Close()
				st.dbBytes += pages * size
			}
		case strings.Contains(p, string(filepath.Separator)+"kv"+string(filepath.Separator)) && strings.Contains(p, "blobs"):
			st.kvEntries++
		}
		return nil
	})
	req, _ := http.NewRequest("GET", target.url+"/admin/v1/pool", nil)
	req.Header.Set("Authorization", "Bearer "+target.adminToken)
	if resp, err := httpClient.Do(req); err == nil {
		var pool struct {
			Instances []struct {
				MemoryBytes int64 `json:"memory_bytes"`
			} `json:"instances"`
		}
		json.NewDecoder(resp.Body).Decode(&pool)
		resp.Body.Close()
		for _, in := range pool.Instances {
			st.memBytes = max(st.memBytes, in.MemoryBytes)
		}
	}
	return st
}

// Bounds of TestUnauthenticatedGrowthIsBounded: what 1,400 unauthenticated
// requests may add at most.
const (
	maxDBGrowth  = 256 << 10 // bytes of database
	maxKVGrowth  = 0         // KV entries
	maxMemGrowth = 24 << 20  // bytes of heap in use (native)
	maxWasmMem   = 32 << 20  // bytes of the largest wasm instance (wrangler)
)

// TestUnauthenticatedGrowthIsBounded sends, without any credential, 1,500
// requests that would grow stored state if they could (security issue):
// 20 admin requests with a wrong token and a 10 KB path (the failed admin
// authentications an address may send in a minute: all are answered and
// audited, and more would only be 429s and spend the limit, which is per
// address, for the tests that follow), 400 authorization requests with
// state, nonce and resources at their bounds, 390 token requests with
// ever-new metadata-document client ids, 100 device authorization
// requests of a public client and 100 guessed user codes (RFC 8628), 390
// failed sign-ins with ever-new usernames, 100 logout requests with
// made-up session cookies and ID token hints and a 1 KB state. Every
// answer is the expected
// 4xx, 303 or (a failed sign-in: the form again) 200, never a 5xx, and the
// database, KV and memory grow by less than the bounds above.
func TestUnauthenticatedGrowthIsBounded(t *testing.T) {
	if target.state == nil {
		t.Skipf("the %s target's state cannot be measured from here", target.name)
	}
	f := newFixture(t)
	setSettings(t, f.tenant, map[string]any{"client_id_metadata_documents": true})
	mustStatus(t, "device client", adminDo(t, "POST", "/admin/v1/tenants/"+f.tenant+"/clients", map[string]any{
		"client_id": "tv", "token_endpoint_auth_method": "none", "grant_types": []string{deviceGrant}, "scope": "read"}), http.StatusCreated)
	authorize := func(i int) string {
		q := url.Values{"state": {strings.Repeat("s", 1024)}, "nonce": {strings.Repeat("n", 512)}}
		for r := range 5 {
			q.Add("resource", "https://api"+strconv.Itoa(r)+".example/"+strconv.Itoa(i)+"/"+strings.Repeat("r", 450))
		}
		u, _ := f.authURL(q)
		return u
	}
	loginPage := newBrowser(t, "", "")
	loginURL := f.publicConfig("5000", "read").AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	if loginPage.authorize(loginURL) != nil || loginPage.last.status != http.StatusOK {
		t.Fatalf("no login page to send failed sign-ins to")
	}
	form := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(loginPage.last.body, -1) {
		form.Set(h[1], h[2])
	}

	before := target.state()
	type kind struct {
		name string
		n    int
		send func(i int) int
		ok   []int
	}
	kinds := []kind{
		{"admin, wrong token, 10 KB path", 20, func(int) int {
			return request{method: "GET", path: "/admin/v1/tenants/" + strings.Repeat("w", 10<<10), header: map[string]string{"Authorization": "Bearer nope"}}.do(t).status
		}, []int{401}},
		{"authorize at the bounds", 400, func(i int) int { return newBrowser(t, "", "").do("GET", authorize(i), nil).status }, []int{303}},
		{"metadata-document client ids", 390, func(i int) int {
			return tokenRequest(t, f, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "code_verifier": {strings.Repeat("v", 43)},
				"client_id": {"http://127.0.0.1:1/client-" + strconv.Itoa(i)}}).status
		}, []int{400, 401, 429}},
		{"logout, made-up sessions and hints", 100, func(i int) int {
			q := url.Values{"client_id": {f.public}, "state": {strings.Repeat("s", 1024)}}
			if i%2 == 1 {
				q.Set("id_token_hint", "eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.eyJzdWIiOiJ4In0."+strings.Repeat("A", 342))
			}
			return request{method: "GET", path: "/t/" + f.tenant + "/logout?" + q.Encode(), header: map[string]string{
				"Cookie": "edgeauth-session-" + f.tenant + "=" + strings.Repeat("i", 22) + "." + strconv.Itoa(i) + strings.Repeat("s", 40)}}.do(t).status
		}, []int{200, 400}},
		{"device authorizations of a public client", 100, func(int) int {
			return request{method: "POST", path: "/t/" + f.tenant + "/device_authorization", body: "client_id=tv&scope=read",
				header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t).status
		}, []int{200, 429}},
		{"user code guesses", 100, func(i int) int {
			return newBrowser(t, "", "").do("GET", f.issuer+"/device?user_code=BCDF"+strconv.Itoa(i), nil).status
		}, []int{200, 429}},
		{"failed sign-ins", 390, func(i int) int {
			fm := url.Values{}
			for k, v := range form {
				fm[k] = v
			}
			fm.Set("username", "nobody-"+strconv.Itoa(i))
			fm.Set("password", "wrong password!")
			return loginPage.do("POST", f.issuer+"/login", fm).status
		}, []int{200, 429}},
	}
	for _, k := range kinds {
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		next := make(chan int)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					st := k.send(i)
					mu.Lock()
					statuses[st]++
					mu.Unlock()
				}
			}()
		}
		for i := range k.n {
			next <- i
		}
		close(next)
		wg.Wait()
		for st, n := range statuses {
			if !slices.Contains(k.ok, st) {
				t.Errorf("%s: %d answers %d; want only %v", k.name, n, st, k.ok)
			}
		}
		t.Logf("%s: %v", k.name, statuses)
	}
	after := target.state()
	t.Logf("state before %+v, after %+v", before, after)
	if g := after.dbBytes - before.dbBytes; g > maxDBGrowth {
		t.Errorf("the database grew by %d bytes; want less than %d", g, maxDBGrowth)
	}
	if g := after.kvEntries - before.kvEntries; g > maxKVGrowth {
		t.Errorf("KV grew by %d entries; want at most %d", g, maxKVGrowth)
	}
	if target.name == "native" {
		if g := after.memBytes - before.memBytes; g > maxMemGrowth {
			t.Errorf("the heap grew by %d bytes; want less than %d", g, maxMemGrowth)
		}
	} else if after.memBytes > maxWasmMem {
		t.Errorf("the largest wasm instance holds %d bytes; want at most %d", after.memBytes, maxWasmMem)
	}
}
