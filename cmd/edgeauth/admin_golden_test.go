package main

import (
	"fmt"
	"strings"
	"testing"
)

// placeholders replace what the server makes at random (key ids, user
// ids, secrets) and its address, so that the golden files stay the same
// from run to run. A placeholder is padded to the width of what it
// replaces, so the columns stay as the CLI aligned them.
type placeholders struct{ old, new []string }

func (p *placeholders) add(value, name string) {
	if n := len(value) - len(name); n > 0 {
		name += strings.Repeat(".", n)
	}
	p.old, p.new = append(p.old, value), append(p.new, name)
}

// addURL replaces the server's address, whose width changes with its
// port, by one of a fixed width: it is only ever in the last column.
func (p *placeholders) addURL(value string) {
	p.old, p.new = append(p.old, value), append(p.new, "http://SERVER")
}

func (p *placeholders) apply(s string) string {
	var pairs []string
	for i := range p.old {
		pairs = append(pairs, p.old[i], p.new[i])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// tableValue is the value of the row named key in a key/value table.
func tableValue(t *testing.T, out, key string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == key {
			return f[1]
		}
	}
	t.Fatalf("no %s row in:\n%s", key, out)
	return ""
}

// TestGolden: the human output of each list and get command, and of the
// commands that print a secret, against the live server (the real
// handler on SQLite) with its clock stopped at testNow.
func TestGolden(t *testing.T) {
	s := startServer(t)
	env := s.env()
	var ph placeholders
	ph.addURL(s.url)

	mustCLI(t, env, "", "tenants", "create", "acme", "--name", "Acme", "--access-token-ttl", "10m", "--registration", "token",
		"--allowed-resource", "https://api.acme.example", "--allowed-resource", "https://mcp.acme.example/mcp",
		"--device-poll-interval", "10s", "--scope-description", "read=Read your files")
	createWeb := mustCLI(t, env, "", "clients", "create", "--tenant", "acme", "--id", "web", "--name", "Acme web",
		"--redirect-uri", "https://app.acme.example/callback", "--redirect-uri", "https://app.acme.example/cb2",
		"--grant-type", "authorization_code", "--grant-type", "refresh_token", "--scope", "openid profile read",
		"--logo-uri", "https://app.acme.example/logo.png", "--policy-uri", "https://app.acme.example/privacy")
	ph.add(tableValue(t, createWeb.stdout, "client_secret"), "<client_secret>")
	mustCLI(t, env, "", "clients", "create", "--tenant", "acme", "--id", "cli", "--public", "--first-party",
		"--redirect-uri", "http://127.0.0.1:8400/callback", "--redirect-uri", "com.acme.app:/cb")
	svc := jsonOf[map[string]any](t, mustCLI(t, env, "", "clients", "create", "--tenant", "acme", "--id", "svc", "--name", "Billing service",
		"--grant-type", "client_credentials", "--scope", "read write", "--access-token-ttl", "5m",
		"--introspection-audience", "https://api.acme.example", "--token-exchange-audience", "https://ledger.acme.example", "-o", "json"))
	ph.add(svc["client_secret"].(string), "<svc_secret>")
	user := jsonOf[map[string]any](t, mustCLI(t, env, "correct horse battery\n", "users", "create", "--tenant", "acme",
		"--username", "alice", "--email", "alice@acme.example", "--role", "admin", "--role", "billing", "--password-stdin", "-o", "json"))
	userID := user["id"].(string)
	ph.add(userID, "<user_id>")
	for _, name := range []string{"alicia", "bob"} {
		u := jsonOf[map[string]any](t, mustCLI(t, env, "correct horse battery\n", "users", "create", "--tenant", "acme",
			"--username", name, "--password-stdin", "-o", "json"))
		ph.add(u["id"].(string), "<"+name+"_id>")
	}
	mustCLI(t, env, "an upstream secret\n", "connections", "create", "--tenant", "acme", "corp", "--kind", "oidc", "--name", "Corp SSO",
		"--issuer", "https://idp.acme.example", "--client-id", "edgeauth-acme", "--client-secret-stdin", "--create-users")
	mustCLI(t, env, "", "connections", "create", "--tenant", "acme", "github", "--kind", "github", "--client-id", "Iv1.acme")
	token := mustCLI(t, env, "", "registration-tokens", "create", "--tenant", "acme")
	ph.add(tableValue(t, token.stdout, "initial_access_token"), "<initial_access_token>")
	// A sign-in through a client that asks for consent: a session, a
	// grant and a consent to list.
	mustCLI(t, env, "", "clients", "create", "--tenant", "acme", "--id", "spa", "--public", "--name", "Acme SPA",
		"--redirect-uri", "http://127.0.0.1/cb", "--grant-type", "authorization_code", "--grant-type", "refresh_token", "--scope", "openid profile")
	signIn(t, s.url, "acme", "spa", "alice", "correct horse battery")
	sessions := jsonOf[struct {
		Sessions []struct{ ID string } `json:"sessions"`
	}](t, mustCLI(t, env, "", "sessions", "list", "--tenant", "acme", "--user", userID, "-o", "json"))
	grants := jsonOf[struct {
		Grants []struct{ ID string } `json:"grants"`
	}](t, mustCLI(t, env, "", "grants", "list", "--tenant", "acme", "--user", userID, "-o", "json"))
	if len(sessions.Sessions) != 1 || len(grants.Grants) != 1 {
		t.Fatalf("after one sign-in: %d sessions, %d grants; want 1, 1", len(sessions.Sessions), len(grants.Grants))
	}
	ph.add(sessions.Sessions[0].ID, "<session_id>")
	ph.add(grants.Grants[0].ID, "<grant_id>")
	issued := jsonOf[struct {
		Events []struct {
			Detail struct {
				JTI string `json:"jti"`
			} `json:"detail"`
		} `json:"events"`
	}](t, mustCLI(t, env, "", "audit", "list", "--tenant", "acme", "--event", "token.issued", "-o", "json"))
	for _, e := range issued.Events {
		ph.add(e.Detail.JTI, "<jti>") // random: not every run reads the same randomness
	}
	keys := jsonOf[struct {
		Keys []keyInfo `json:"keys"`
	}](t, mustCLI(t, env, "", "keys", "list", "--tenant", "acme", "-o", "json"))
	for _, k := range keys.Keys {
		ph.add(k.KID, fmt.Sprintf("<%s_%s_kid>", k.Use, k.State))
	}

	for _, c := range []struct {
		name string
		run  result
	}{
		{"clients_create", createWeb},
		{"registration_tokens_create", token},
		{"tenants_get", mustCLI(t, env, "", "tenants", "get", "acme")},
		{"clients_list", mustCLI(t, env, "", "clients", "list", "--tenant", "acme")},
		{"clients_get", mustCLI(t, env, "", "clients", "get", "--tenant", "acme", "web")},
		{"clients_get_service", mustCLI(t, env, "", "clients", "get", "--tenant", "acme", "svc")},
		{"users_get", mustCLI(t, env, "", "users", "get", "--tenant", "acme", userID)},
		{"users_list", mustCLI(t, env, "", "users", "list", "--tenant", "acme")},
		{"users_list_page", mustCLI(t, env, "", "users", "list", "--tenant", "acme", "--prefix", "ali", "--limit", "1")},
		{"users_list_after", mustCLI(t, env, "", "users", "list", "--tenant", "acme", "--prefix", "ali", "--after", "alice")},
		{"keys_list", mustCLI(t, env, "", "keys", "list", "--tenant", "acme")},
		{"sessions_list", mustCLI(t, env, "", "sessions", "list", "--tenant", "acme", "--user", userID)},
		{"grants_list", mustCLI(t, env, "", "grants", "list", "--tenant", "acme", "--user", userID)},
		{"consents_list", mustCLI(t, env, "", "consents", "list", "--tenant", "acme", "--user", userID)},
		{"consents_revoke_all", mustCLI(t, env, "", "consents", "revoke", "--tenant", "acme", "--user", userID, "--all")},
		{"users_disable", mustCLI(t, env, "", "users", "disable", "--tenant", "acme", userID)},
		{"connections_list", mustCLI(t, env, "", "connections", "list", "--tenant", "acme")},
		{"connections_get", mustCLI(t, env, "", "connections", "get", "--tenant", "acme", "corp")},
		{"audit_list", mustCLI(t, env, "", "audit", "list", "--tenant", "acme")},
		{"audit_list_page", mustCLI(t, env, "", "audit", "list", "--limit", "2", "--event", "client.created")},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.run.stdout
			if c.run.stderr != "" {
				got += "--- stderr\n" + c.run.stderr
			}
			golden(t, c.name, ph.apply(got))
		})
	}
}
