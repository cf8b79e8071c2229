package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// response is what a test looks at.
type response struct {
	status int
	header http.Header
	body   []byte
}

// field returns a top-level member of a JSON object body ("" if absent or
// not a string).
func (r response) field(name string) string {
	var m map[string]any
	json.Unmarshal(r.body, &m)
	s, _ := m[name].(string)
	return s
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// request is one HTTP request of a test. Body: nil, a string or []byte sent
// as is, or anything else marshalled to JSON.
type request struct {
	method, path string
	body         any
	header       map[string]string
	admin        bool // send the admin bearer token
}

func (q request) do(t *testing.T) response {
	t.Helper()
	var body io.Reader
	ctype := ""
	switch b := q.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body, ctype = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(q.method, target.url+q.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if q.admin {
		req.Header.Set("Authorization", "Bearer "+target.adminToken)
	}
	for k, v := range q.header {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", q.method, q.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	noteResponseSecrets(raw)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// adminDo sends an admin API request with the admin token.
func adminDo(t *testing.T, method, path string, body any) response {
	t.Helper()
	return request{method: method, path: path, body: body, admin: true}.do(t)
}

// mustStatus fails unless r has status want.
func mustStatus(t *testing.T, what string, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d; want %d; body %s", what, r.status, want, r.body)
	}
}

// newTenantID returns a tenant id no other test uses.
func newTenantID(t *testing.T) string {
	b := make([]byte, 5)
	rand.Read(b)
	return "e2e-" + hex.EncodeToString(b)
}

// createTenant creates a fresh tenant and deletes it when the test ends.
func createTenant(t *testing.T) string {
	t.Helper()
	id := newTenantID(t)
	r := adminDo(t, "POST", "/admin/v1/tenants", map[string]any{"id": id, "name": "E2E " + id})
	mustStatus(t, "create tenant", r, http.StatusCreated)
	t.Cleanup(func() { adminDo(t, "DELETE", "/admin/v1/tenants/"+id, nil) })
	return id
}
