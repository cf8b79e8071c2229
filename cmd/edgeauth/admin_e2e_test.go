package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runMain runs the test binary as the edgeauth command (through
// TestMainExitCodes's hook) with args, stdin, and an environment of its
// own: env on top of this process's, less every EDGEAUTH_ variable and
// the home and config directories, so that nothing of the person running
// the tests leaks in.
func runMain(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainExitCodes$")
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "EDGEAUTH_") && k != "HOME" && k != "XDG_CONFIG_HOME" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "EDGEAUTH_TEST_MAIN_ARGS="+strings.Join(append([]string{"admin"}, args...), "\x1f"))
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// clientCredentials asks the token endpoint of tenant for a token with
// the client's secret and returns the status.
func clientCredentials(t *testing.T, base, tenant, id, secret string) int {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/t/"+tenant+"/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAdminEndToEnd drives the edgeauth command, as separate processes,
// against the native server: log in, create a tenant, a client and a
// user, list and read them, use the client secret the CLI printed, rotate
// it, read the audit log, and meet the common mistakes.
func TestAdminEndToEnd(t *testing.T) {
	s := startServer(t)
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	must := func(stdin string, args ...string) result {
		t.Helper()
		r := runMain(t, env, stdin, args...)
		if r.code != 0 {
			t.Fatalf("edgeauth admin %s: %v", strings.Join(args, " "), r)
		}
		return r
	}

	must(s.token+"\n", "login", "--url", s.url, "--token-stdin")
	fi, err := os.Stat(filepath.Join(home, ".config", "edgeauth", "config"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("profile file after login: %v, %v; want mode 0600", fi, err)
	}

	// From here on the URL and the token come from the profile.
	must("", "tenants", "create", "acme", "--name", "Acme")
	r := must("", "clients", "create", "--tenant", "acme", "--id", "svc", "--name", "Service",
		"--grant-type", "client_credentials", "--scope", "read", "-o", "json")
	if !strings.Contains(r.stderr, "shown once; store it now") {
		t.Errorf("clients create did not say the secret is shown once:\n%s", r.stderr)
	}
	var created struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || created.ID != "svc" || created.Secret == "" {
		t.Fatalf("clients create -o json: %v\n%s", err, r.stdout)
	}
	if code := clientCredentials(t, s.url, "acme", "svc", created.Secret); code != 200 {
		t.Errorf("the secret clients create printed: token endpoint answered %d; want 200", code)
	}

	r = must("", "clients", "rotate-secret", "--tenant", "acme", "svc", "-o", "json")
	var rotated struct {
		Secret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rotated); err != nil || rotated.Secret == "" || rotated.Secret == created.Secret {
		t.Fatalf("rotate-secret -o json: %v\n%s", err, r.stdout)
	}
	if !strings.Contains(r.stderr, "shown once; store it now") {
		t.Errorf("rotate-secret did not say the secret is shown once:\n%s", r.stderr)
	}
	if old, fresh := clientCredentials(t, s.url, "acme", "svc", created.Secret), clientCredentials(t, s.url, "acme", "svc", rotated.Secret); old != 401 || fresh != 200 {
		t.Errorf("after rotate-secret the old secret gets %d (want 401), the new one %d (want 200)", old, fresh)
	}

	r = must("correct horse battery\n", "users", "create", "--tenant", "acme", "--username", "alice", "--role", "admin", "--password-stdin", "-o", "json")
	var user struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &user); err != nil || user.ID == "" {
		t.Fatalf("users create -o json: %v\n%s", err, r.stdout)
	}

	if r := must("", "clients", "list", "--tenant", "acme"); !strings.Contains(r.stdout, "svc ") || !strings.Contains(r.stdout, "Service") {
		t.Errorf("clients list does not show svc:\n%s", r.stdout)
	}
	if r := must("", "users", "get", "--tenant", "acme", user.ID); !strings.Contains(r.stdout, "alice") {
		t.Errorf("users get does not show alice:\n%s", r.stdout)
	}

	r = must("", "audit", "list", "--tenant", "acme", "-o", "json")
	var log struct {
		Events []struct{ Event, Subject string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range log.Events {
		events = append(events, e.Event+" "+e.Subject)
	}
	want := []string{"user.created " + user.ID, "client.secret_rotated svc", "token.issued svc", "client.created svc", "tenant.created acme"}
	for _, w := range want {
		found := false
		for _, e := range events {
			found = found || e == w
		}
		if !found {
			t.Errorf("audit log lacks %q: %q", w, events)
		}
	}

	// The common mistakes, with their exit codes.
	for _, c := range []struct {
		args []string
		env  map[string]string
		code int
		msg  string
	}{
		{[]string{"clients", "get", "--tenant", "nope", "svc"}, nil, 1, `edgeauth: tenant "nope" not found`},
		{[]string{"clients", "create", "--tenant", "acme", "--redirect-uri", "https://app.example/cb#top"}, nil, 2, "must not contain a fragment"},
		{[]string{"tenants", "get", "acme"}, map[string]string{"EDGEAUTH_ADMIN_TOKEN": strings.Repeat("w", 40)}, 1, "the admin token was refused"},
		{[]string{"tenants", "get", "acme", "--url", closedURL(t)}, map[string]string{"EDGEAUTH_ADMIN_TOKEN": s.token}, 1, "cannot reach the edgeauth server"},
		{[]string{"tenants", "get"}, nil, 2, "missing argument"},
		{[]string{"tenants", "frobnicate"}, nil, 2, `unknown command "frobnicate"`},
	} {
		r := runMain(t, with(env, mapToList(c.env)...), "", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("edgeauth admin %s: %v\nwant exit %d saying %q", strings.Join(c.args, " "), r, c.code, c.msg)
		}
	}

	must("", "tenants", "delete", "acme")
	if r := runMain(t, env, "", "tenants", "get", "acme"); r.code != 1 || !strings.Contains(r.stderr, `tenant "acme" not found`) {
		t.Errorf("tenants get after delete: %v", r)
	}
	if r := must("", "audit", "list", "--event", "tenant.deleted"); !strings.Contains(r.stdout, "tenant.deleted") {
		t.Errorf("audit list lacks tenant.deleted:\n%s", r.stdout)
	}
}

func mapToList(m map[string]string) []string {
	var l []string
	for k, v := range m {
		l = append(l, k, v)
	}
	return l
}
