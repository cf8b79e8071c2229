package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConnectionsCLI: a connection's life through the CLI against the
// live server: its secret is read from standard input or a file, never
// printed, never a flag's value; the answer names the redirect URI to
// register; update, unlink and delete say what is missing in words.
func TestConnectionsCLI(t *testing.T) {
	live := startServer(t)
	env := live.env()
	mustCLI(t, env, "", "tenants", "create", "acme", "--link-identities", "verified_email", "--password-login", "off")
	if out := mustCLI(t, env, "", "tenants", "get", "acme").stdout; !strings.Contains(out, "link_identities: verified_email") || !strings.Contains(out, "password_login: off") {
		t.Errorf("tenants get after the connection settings:\n%s", out)
	}

	const secret = "upstream secret from stdin 0123456789"
	r := mustCLI(t, env, secret+"\n", "connections", "create", "--tenant", "acme", "corp", "--kind", "oidc",
		"--issuer", "https://idp.example.com/realms/corp", "--client-id", "edgeauth", "--client-secret-stdin", "--create-users",
		"--scope", "openid", "--scope", "email")
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("connections create printed the client secret:\n%v", r)
	}
	for _, want := range []string{"client_secret_set  true", "redirect_uri       " + live.url + "/t/acme/callback/corp", "create_users       true"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("connections create does not say %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "Register the redirect_uri") {
		t.Errorf("connections create: no note on the redirect URI:\n%s", r.stderr)
	}

	secretFile := filepath.Join(t.TempDir(), "gh")
	if err := os.WriteFile(secretFile, []byte("github secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, env, "", "connections", "create", "--tenant", "acme", "github", "--kind", "github", "--client-id", "Iv1.x",
		"--client-secret-file", secretFile)
	list := mustCLI(t, env, "", "connections", "list", "--tenant", "acme").stdout
	if !strings.Contains(list, "corp") || !strings.Contains(list, "github  GitHub") {
		t.Errorf("connections list:\n%s", list)
	}
	got := jsonOf[map[string]any](t, mustCLI(t, env, "", "connections", "update", "--tenant", "acme", "corp", "--create-users=false",
		"--name", "Corp SSO", "-o", "json"))
	if got["create_users"] != false || got["name"] != "Corp SSO" || got["client_secret_set"] != true {
		t.Errorf("connections update -o json = %v", got)
	}

	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown connection", []string{"connections", "get", "--tenant", "acme", "nope"}, 1, `connection "nope" not found in tenant "acme"`},
		{"taken id", []string{"connections", "create", "--tenant", "acme", "github", "--kind", "github", "--client-id", "x"}, 1,
			`connection "github" in tenant "acme" already exists`},
		{"a private issuer", []string{"connections", "create", "--tenant", "acme", "intra", "--kind", "oidc", "--client-id", "x", "--issuer", "https://10.0.0.1"}, 1,
			"issuer"},
		{"nothing linked", []string{"users", "unlink", "--tenant", "acme", "--connection", "corp", "u1"}, 1, `user "u1" has no linked account of connection "corp" (or there is no such user) in tenant "acme"`},
		{"no kind", []string{"connections", "create", "--tenant", "acme", "x", "--client-id", "x"}, 2, "--kind is required"},
		{"two secrets", []string{"connections", "create", "--tenant", "acme", "x", "--kind", "github", "--client-id", "x",
			"--client-secret-file", secretFile, "--client-secret-stdin"}, 2, "--client-secret-file and --client-secret-stdin: give one"},
		{"an issuer that is no URL", []string{"connections", "create", "--tenant", "acme", "x", "--kind", "oidc", "--client-id", "x", "--issuer", "idp.example.com"}, 2, "an issuer is an https URL"},
		{"a new issuer", []string{"connections", "update", "--tenant", "acme", "corp", "--issuer", "https://idp.example.com"}, 2, "flag provided but not defined: -issuer"},
		{"nothing to change", []string{"connections", "update", "--tenant", "acme", "corp"}, 2, "nothing to change"},
		{"no --connection", []string{"users", "unlink", "--tenant", "acme", "u1"}, 2, "--connection is required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, env, "", c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
				t.Errorf("edgeauth admin %s: %v\nwant exit %d saying %q", strings.Join(c.args, " "), r, c.code, c.msg)
			}
		})
	}

	user := jsonOf[map[string]any](t, mustCLI(t, env, "long enough password\n", "users", "create", "--tenant", "acme", "--username", "al",
		"--email", "al@acme.example", "--password-stdin", "-o", "json"))
	if user["email_verified"] != false {
		t.Errorf("users create without --email-verified: %v", user)
	}
	updated := mustCLI(t, env, "", "users", "update", "--tenant", "acme", user["id"].(string), "--email-verified", "--name", "Al Acme").stdout
	if !strings.Contains(updated, "email_verified  true") || !strings.Contains(updated, "Al Acme") {
		t.Errorf("users update:\n%s", updated)
	}
	if r := runCLI(t, env, "", "users", "update", "--tenant", "acme", user["id"].(string)); r.code != 2 || !strings.Contains(r.stderr, "nothing to change") {
		t.Errorf("users update without flags: %v", r)
	}

	mustCLI(t, env, "", "connections", "delete", "--tenant", "acme", "corp")
	if r := runCLI(t, env, "", "connections", "get", "--tenant", "acme", "corp"); r.code != 1 {
		t.Errorf("connections get after delete: %v", r)
	}
	events := mustCLI(t, env, "", "audit", "list", "--tenant", "acme").stdout
	for _, e := range []string{"connection.created", "connection.updated", "connection.deleted"} {
		if !strings.Contains(events, e) {
			t.Errorf("the audit log lacks %s:\n%s", e, events)
		}
	}
}
