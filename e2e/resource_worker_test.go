package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/internal/wranglertest"
)

// resourceAudience is the resource identifier of examples/resource-worker in
// this test: the aud its tokens must carry.
const resourceAudience = "https://api.example.com"

// TestResourceWorker runs examples/resource-worker and edgeauth in one
// `wrangler dev` (the example first: it serves the port; edgeauth is
// reached only through the example's service binding EDGEAUTH, and, for
// seeding and tokens, through the example's EDGEAUTH_PASSTHROUGH). It
// checks that the example's verify.Middleware, fetching edgeauth's metadata
// and JWKS over the binding, lets a valid token through and refuses tokens
// of another tenant or audience (401) and without the scope (403).
//
// Build both Workers first: make -s build-worker build-resource-worker.
func TestResourceWorker(t *testing.T) {
	if target.name != "wrangler" {
		t.Skipf("the resource Worker example needs workerd (EDGEAUTH_E2E=wrangler); natively there is no Worker (target is %s)", target.name)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"build/worker/app.wasm", "build/resource-worker/app.wasm"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Fatalf("%s missing: run make -s build-worker build-resource-worker first", f)
		}
	}
	port, err := wranglertest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	admin, kek := randomSecret(), randomSecret()
	tenant, other := newTenantID(t), newTenantID(t)
	issuer := base + "/t/" + tenant

	// wrangler dev gives --var to the first config's Worker only: edgeauth's
	// values go into a throwaway copy of its config, with absolute paths
	// and no build step (build/worker is built beforehand).
	tmp := t.TempDir()
	edgeauthConfig := filepath.Join(tmp, "wrangler.toml")
	if err := os.WriteFile(edgeauthConfig, []byte(edgeauthTestConfig(t, root, base, admin, kek)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	w, err := wranglertest.Start(ctx, wranglertest.Options{
		Dir: root, Config: "examples/resource-worker/wrangler.toml", ExtraConfigs: []string{edgeauthConfig},
		MigrateConfig: "wrangler.toml", PersistTo: filepath.Join(tmp, "state"), Port: port,
		ReadyPath: "/healthz", // edgeauth's, through the example's passthrough
		Vars: map[string]string{
			"ISSUER": issuer, "AUDIENCE": resourceAudience, "TENANT": tenant, "EDGEAUTH_PASSTHROUGH": "1",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string // access tokens and client secrets: never in the logs
	t.Cleanup(func() {
		w.Close()
		out := w.Output()
		if os.Getenv("EDGEAUTH_E2E_LOG") != "" || t.Failed() {
			t.Logf("wrangler output:\n%s", out)
		}
		for _, s := range seen {
			if s != "" && strings.Contains(out, s) {
				t.Errorf("wrangler output contains a token or client secret of %d characters", len(s))
			}
		}
	})

	do := func(t *testing.T, method, path string, body io.Reader, header map[string]string) response {
		t.Helper()
		req, err := http.NewRequest(method, w.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return response{status: resp.StatusCode, header: resp.Header, body: raw}
	}
	adminJSON := func(path string, body any) response {
		t.Helper()
		raw, _ := json.Marshal(body)
		return do(t, "POST", path, strings.NewReader(string(raw)), map[string]string{
			"Authorization": "Bearer " + admin, "Content-Type": "application/json"})
	}
	client := func(tenant, id, scope string) (secret string) {
		t.Helper()
		r := adminJSON("/admin/v1/tenants/"+tenant+"/clients", map[string]any{
			"client_id": id, "grant_types": []string{"client_credentials"}, "scope": scope})
		mustStatus(t, "create client "+id, r, http.StatusCreated)
		seen = append(seen, r.field("client_secret"))
		return r.field("client_secret")
	}
	token := func(tenant, id, secret, scope, resource string) string {
		t.Helper()
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret},
			"scope": {scope}, "resource": {resource}}
		r := do(t, "POST", "/t/"+tenant+"/token", strings.NewReader(form.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		mustStatus(t, "token "+tenant+"/"+id, r, http.StatusOK)
		tok := r.field("access_token")
		seen = append(seen, tok)
		return tok
	}
	for _, id := range []string{tenant, other} {
		mustStatus(t, "create tenant", adminJSON("/admin/v1/tenants", map[string]any{"id": id, "name": "E2E " + id}), http.StatusCreated)
	}
	svcSecret := client(tenant, "svc", "read write")
	writerSecret := client(tenant, "writer", "write")
	otherSecret := client(other, "svc", "read write")

	valid := token(tenant, "svc", svcSecret, "read", resourceAudience)
	otherAudience := token(tenant, "svc", svcSecret, "read", "https://other.example.com")
	otherTenant := token(other, "svc", otherSecret, "read", resourceAudience)
	writeOnly := token(tenant, "writer", writerSecret, "write", resourceAudience)

	metaURL := resourceAudience + "/.well-known/oauth-protected-resource"
	hello := func(t *testing.T, tok string) response {
		t.Helper()
		h := map[string]string{}
		if tok != "" {
			h["Authorization"] = "Bearer " + tok
		}
		return do(t, "GET", "/api/hello", nil, h)
	}
	challenge := func(t *testing.T, what string, r response, status int, parts ...string) {
		t.Helper()
		if r.status != status {
			t.Errorf("%s: status %d; want %d; body %s", what, r.status, status, r.body)
			return
		}
		c := r.header.Get("WWW-Authenticate")
		for _, p := range append(parts, `resource_metadata="`+metaURL+`"`, `Bearer realm="`+issuer+`"`) {
			if !strings.Contains(c, p) {
				t.Errorf("%s: WWW-Authenticate %q lacks %s", what, c, p)
			}
		}
	}

	t.Run("valid", func(t *testing.T) {
		// Twice: the second verification uses the instance's cached keys.
		for i := 0; i < 2; i++ {
			r := hello(t, valid)
			mustStatus(t, "valid token", r, http.StatusOK)
			if r.field("subject") != "svc" || r.field("tenant") != tenant {
				t.Errorf("body %s; want subject svc, tenant %s", r.body, tenant)
			}
		}
	})
	t.Run("no token", func(t *testing.T) {
		r := hello(t, "")
		challenge(t, "no token", r, http.StatusUnauthorized)
		if strings.Contains(r.header.Get("WWW-Authenticate"), "error=") {
			t.Errorf("no token: challenge %q carries an error code (RFC 6750 §3.1)", r.header.Get("WWW-Authenticate"))
		}
	})
	t.Run("other audience", func(t *testing.T) {
		r := hello(t, otherAudience)
		challenge(t, "token for another audience", r, http.StatusUnauthorized, `error="invalid_token"`)
		if d := r.field("error_description"); d != "the access token is not meant for this resource" {
			t.Errorf("token for another audience: error_description %q", d)
		}
	})
	t.Run("other tenant", func(t *testing.T) {
		challenge(t, "token of another tenant", hello(t, otherTenant), http.StatusUnauthorized, `error="invalid_token"`)
	})
	t.Run("insufficient scope", func(t *testing.T) {
		challenge(t, "token without read", hello(t, writeOnly), http.StatusForbidden, `error="insufficient_scope"`, `scope="read"`)
	})
	t.Run("metadata", func(t *testing.T) {
		r := do(t, "GET", "/.well-known/oauth-protected-resource", nil, nil)
		mustStatus(t, "protected resource metadata", r, http.StatusOK)
		var m struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
			ScopesSupported      []string `json:"scopes_supported"`
		}
		r.decode(t, &m)
		if m.Resource != resourceAudience || len(m.AuthorizationServers) != 1 || m.AuthorizationServers[0] != issuer {
			t.Errorf("metadata %s; want resource %s, authorization_servers [%s]", r.body, resourceAudience, issuer)
		}
	})
}

// edgeauthTestConfig is edgeauth's wrangler.toml for this test: the same
// Worker name (the example's binding names it), D1 and KV bindings, with
// the test's vars and absolute paths.
func edgeauthTestConfig(t *testing.T, root, base, admin, kek string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "wrangler.toml"))
	if err != nil {
		t.Fatal(err)
	}
	date := regexp.MustCompile(`(?m)^compatibility_date\s*=\s*"([^"]+)"`).FindSubmatch(raw)
	if date == nil {
		t.Fatal("wrangler.toml: no compatibility_date")
	}
	// The rate-limit bindings are the last sections of wrangler.toml;
	// edgeauth refuses to start without them.
	limits := regexp.MustCompile(`(?s)\[\[ratelimits\]\].*`).Find(raw)
	if limits == nil {
		t.Fatal("wrangler.toml: no [[ratelimits]]")
	}
	q := strconv.Quote
	return fmt.Sprintf(`name = "edgeauth"
main = %s
compatibility_date = %q

[vars]
BASE_URL = %s
ADMIN_TOKEN = %s
KEY_ENCRYPTION_KEY = %s

[[d1_databases]]
binding = "DB"
database_name = "edgeauth"
database_id = "00000000-0000-0000-0000-000000000000"
migrations_dir = %s

[[kv_namespaces]]
binding = "KV"
id = "00000000000000000000000000000000"

%s`, q(filepath.Join(root, "build/worker/worker.mjs")), date[1], q(base), q(admin), q(kek), q(filepath.Join(root, "migrations")), limits)
}
