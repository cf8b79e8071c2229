package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAPI answers the admin API's paths with canned failures and counts
// the requests it gets.
type fakeAPI struct {
	*httptest.Server
	requests atomic.Int64
}

func startFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		writeError := func(status int, code, desc string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, `{"error":"`+code+`","error_description":"`+desc+`"}`)
		}
		switch r.URL.Path {
		case "/admin/v1/tenants/boom":
			writeError(500, "server_error", "the server could not complete the request")
		case "/admin/v1/tenants/slow":
			w.Header().Set("Retry-After", "7")
			writeError(429, "too_many_requests", "slow down")
		case "/admin/v1/tenants/moved":
			http.Redirect(w, r, "https://auth.example.com/admin/v1/tenants/moved", http.StatusMovedPermanently)
		case "/admin/v1/tenants/html":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>hello</html>")
		case "/admin/v1/tenants/proxy":
			http.Error(w, "bad gateway", http.StatusBadGateway)
		case "/admin/v1/tenants/old", "/admin/v1/tenants/old/clients":
			writeError(404, "not_found", "no such endpoint")
		default:
			writeError(401, "invalid_token", "the admin token is not valid")
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) env() map[string]string {
	return map[string]string{"EDGEAUTH_URL": f.URL, "EDGEAUTH_ADMIN_TOKEN": strings.Repeat("x", 40)}
}

// closedURL is the address of a listener that is closed again: nothing
// answers there.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return "http://" + ln.Addr().String()
}

// TestExitCodes: 0 for success, 1 when the server cannot be reached or
// answers an error, 2 for a command refused before anything was sent, with
// a message that says what went wrong. A command that exits 2 has sent no
// request.
func TestExitCodes(t *testing.T) {
	live := startServer(t)
	mustCLI(t, live.env(), "", "tenants", "create", "acme")
	mustCLI(t, live.env(), "", "clients", "create", "--tenant", "acme", "--id", "web0", "--grant-type", "client_credentials")
	mustCLI(t, live.env(), "correct horse battery", "users", "create", "--tenant", "acme", "--username", "al", "--password-stdin")
	fake := startFakeAPI(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  map[string]string // nil: the fake API's
		args []string
		code int
		msg  string
	}{
		// Success.
		{"help", nil, []string{"--help"}, 0, ""},
		{"get", live.env(), []string{"tenants", "get", "acme"}, 0, ""},
		// The server's answers.
		{"unknown tenant", live.env(), []string{"tenants", "get", "nope"}, 1, `tenant "nope" not found`},
		{"unknown tenant of a client list", live.env(), []string{"clients", "list", "--tenant", "nope"}, 1, `tenant "nope" not found`},
		{"unknown client", live.env(), []string{"clients", "get", "--tenant", "acme", "web"}, 1, `client "web" not found in tenant "acme"`},
		{"unknown user", live.env(), []string{"users", "delete", "--tenant", "acme", "u1"}, 1, `user "u1" not found in tenant "acme"`},
		{"unknown key", live.env(), []string{"keys", "revoke", "--tenant", "acme", "k1"}, 1, `key "k1" not found in tenant "acme"`},
		{"sessions of an unknown user", live.env(), []string{"sessions", "list", "--tenant", "acme", "--user", "u1"}, 1, `user "u1" not found in tenant "acme"`},
		{"disable an unknown user", live.env(), []string{"users", "disable", "--tenant", "acme", "u1"}, 1, `user "u1" not found in tenant "acme"`},
		{"revoke without an id", nil, []string{"grants", "revoke", "--tenant", "acme", "--user", "u1"}, 2, "give the grant's id (GRANT_ID) or --all"},
		{"tenant exists", live.env(), []string{"tenants", "create", "acme"}, 1, `edgeauth: tenant "acme" already exists`},
		{"client exists", live.env(), []string{"clients", "create", "--tenant", "acme", "--id", "web0", "--grant-type", "client_credentials"}, 1, `client "web0" in tenant "acme" already exists`},
		{"user exists", live.env(), []string{"users", "create", "--tenant", "acme", "--username", "al", "--password-file", pwFile}, 1, `user "al" in tenant "acme" already exists`},
		{"invalid setting", live.env(), []string{"tenants", "update", "acme", "--registration", "sometimes"}, 1, "invalid_request: settings.registration"},
		{"wrong token", with(live.env(), "EDGEAUTH_ADMIN_TOKEN", strings.Repeat("w", 40)), []string{"tenants", "get", "acme"}, 1,
			"the admin token was refused (check EDGEAUTH_ADMIN_TOKEN or your profile); it came from EDGEAUTH_ADMIN_TOKEN"},
		{"401", nil, []string{"tenants", "get", "acme"}, 1, "the admin token was refused"},
		{"500", nil, []string{"tenants", "get", "boom"}, 1, "the server failed (500 Internal Server Error): server_error"},
		{"429", nil, []string{"tenants", "get", "slow"}, 1, "too many admin requests from this address; try again in 7 s"},
		{"redirect", nil, []string{"tenants", "get", "moved"}, 1, `to "https://auth.example.com/admin/v1/tenants/moved"`},
		{"not JSON", nil, []string{"tenants", "get", "html"}, 1, "not the admin API's JSON (is " + fake.URL + " an edgeauth server?)"},
		{"a proxy's error", nil, []string{"tenants", "get", "proxy"}, 1, "answered 502 Bad Gateway, not an admin API error"},
		{"no such endpoint", nil, []string{"clients", "list", "--tenant", "old"}, 1, "no such endpoint (" + fake.URL + "/admin/v1/tenants/old/clients): is the URL an edgeauth server"},
		{"unreachable", with(fake.env(), "EDGEAUTH_URL", closedURL(t)), []string{"tenants", "get", "acme"}, 1, "cannot reach the edgeauth server at http://127.0.0.1:"},
		// Refused before sending.
		{"no command", nil, nil, 2, "edgeauth admin: missing command"},
		{"unknown command", nil, []string{"tenant", "get", "acme"}, 2, `unknown command "tenant"`},
		{"unknown verb", nil, []string{"tenants", "list"}, 2, `edgeauth admin tenants: unknown command "list"`},
		{"flag before the command", nil, []string{"--url", "http://x", "tenants", "get", "acme"}, 2, "flags go after the command"},
		{"unknown flag", nil, []string{"tenants", "get", "acme", "--force"}, 2, "flag provided but not defined: -force"},
		{"missing argument", nil, []string{"tenants", "get"}, 2, "missing argument (usage: edgeauth admin tenants get TENANT)"},
		{"extra argument", nil, []string{"tenants", "get", "acme", "beta"}, 2, `unexpected argument "beta"`},
		{"missing --tenant", nil, []string{"clients", "list"}, 2, "--tenant is required"},
		{"empty --tenant", nil, []string{"clients", "list", "--tenant", ""}, 2, "--tenant is required"},
		{"bad -o", nil, []string{"tenants", "get", "acme", "-o", "yaml"}, 2, `-o "yaml": want table or json`},
		{"bad duration", nil, []string{"tenants", "update", "acme", "--access-token-ttl", "10 minutes"}, 2, "want whole seconds or a duration"},
		{"nothing to change", nil, []string{"tenants", "update", "acme"}, 2, "nothing to change"},
		{"fragment", nil, []string{"clients", "create", "--tenant", "acme", "--redirect-uri", "https://app.example/cb#x"}, 2,
			`redirect URI "https://app.example/cb#x": a redirect URI must not contain a fragment (RFC 6749 §3.1.2)`},
		{"http redirect URI", nil, []string{"clients", "update", "--tenant", "acme", "web", "--redirect-uri", "http://app.example/cb"}, 2,
			"http redirect URIs are allowed only on a loopback host"},
		{"public with a secret method", nil, []string{"clients", "create", "--tenant", "acme", "--public", "--auth-method", "client_secret_post"}, 2, "a public client's method is none"},
		{"no password", nil, []string{"users", "create", "--tenant", "acme", "--username", "bob"}, 2, "--password-file or --password-stdin"},
		{"password and token on stdin", nil, []string{"users", "create", "--tenant", "acme", "--username", "bob", "--password-stdin", "--token-stdin"}, 2,
			"--password-stdin and --token-stdin both read standard input"},
		{"bad --since", nil, []string{"audit", "list", "--since", "yesterday"}, 2, `--since "yesterday": want an RFC 3339 time`},
		{"--limit", nil, []string{"audit", "list", "--limit", "5000"}, 2, "--limit 5000: want 1 to 1000"},
		{"users --limit", nil, []string{"users", "list", "--tenant", "acme", "--limit", "ten"}, 2, "invalid value"},
		{"users --limit out of range", nil, []string{"users", "list", "--tenant", "acme", "--limit", "1001"}, 2, "--limit 1001: want 1 to 1000"},
		{"users --limit 0", nil, []string{"users", "list", "--tenant", "acme", "--limit", "0"}, 2, "--limit 0: want 1 to 1000"},
		{"audit --limit 0", nil, []string{"audit", "list", "--limit", "0"}, 2, "--limit 0: want 1 to 1000"},
		{"users --after --all", nil, []string{"users", "list", "--tenant", "acme", "--after", "al", "--all"}, 2, "--after and --all: give one"},
		{"users of an unknown tenant", live.env(), []string{"users", "list", "--tenant", "nope"}, 1, `tenant "nope" not found`},
		{"--follow --until", nil, []string{"audit", "list", "--follow", "--until", "1h"}, 2, "--follow shows the newest events"},
		{"no URL", map[string]string{"EDGEAUTH_ADMIN_TOKEN": strings.Repeat("x", 40)}, []string{"tenants", "get", "acme"}, 2, "no server URL: give --url, set EDGEAUTH_URL"},
		{"no token", map[string]string{"EDGEAUTH_URL": fake.URL}, []string{"tenants", "get", "acme"}, 2, "no admin token: give --token-file or --token-stdin"},
		{"http to a remote host", with(fake.env(), "EDGEAUTH_URL", "http://auth.example.com"), []string{"tenants", "get", "acme"}, 2, "the admin token would cross the network in clear"},
		{"URL with /admin/v1", with(fake.env(), "EDGEAUTH_URL", fake.URL+"/admin/v1"), []string{"tenants", "get", "acme"}, 2, "without /admin/v1"},
		{"not a URL", with(fake.env(), "EDGEAUTH_URL", "auth.example.com"), []string{"tenants", "get", "acme"}, 2, "is not an http(s) URL"},
		{"missing token file", nil, []string{"tenants", "get", "acme", "--token-file", "/nonexistent/token"}, 2, "--token-file: open /nonexistent/token"},
		{"named profile without a file", nil, []string{"tenants", "get", "acme", "--profile", "prod"}, 2, `profile "prod" (--profile): there is no profile file`},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := c.env
			if env == nil {
				env = fake.env()
			}
			before := fake.requests.Load()
			r := runCLI(t, env, "", c.args...)
			if r.code != c.code {
				t.Errorf("edgeauth admin %s: exit %d; want %d\n%v", strings.Join(c.args, " "), r.code, c.code, r)
			}
			if !strings.Contains(r.stderr, c.msg) {
				t.Errorf("stderr does not say %q:\n%s", c.msg, r.stderr)
			}
			if sent := fake.requests.Load() - before; c.code == 2 && sent != 0 {
				t.Errorf("exit 2 after %d requests; want none sent", sent)
			}
		})
	}
}

// TestHelp: every command and group answers --help on standard output
// with exit 0, a synopsis and an example, and each example of a command
// is a command line that parses.
func TestHelp(t *testing.T) {
	var walk func(cmd *command, path []string)
	walk = func(cmd *command, path []string) {
		name := strings.Join(path, " ")
		t.Run(name, func(t *testing.T) {
			for _, h := range []string{"--help", "-h"} {
				r := runCLI(t, nil, "", append(path[2:], h)...)
				if r.code != 0 || r.stderr != "" {
					t.Fatalf("%s %s: %v", name, h, r)
				}
				for _, want := range []string{"Usage: " + name + " ", "Example:\n  " + "edgeauth admin "} {
					if !strings.Contains(r.stdout, want) {
						t.Errorf("%s %s does not print %q:\n%s", name, h, want, r.stdout)
					}
				}
			}
			for _, ex := range exampleCommands(cmd.example) {
				if cmd.sub == nil && !strings.HasPrefix(strings.Join(ex, " ")+" ", name+" ") {
					t.Errorf("example %q is not of %s", ex, name)
					continue
				}
				leaf, n := findLeaf(ex)
				if leaf == nil {
					t.Errorf("example %q: no such command", ex)
					continue
				}
				s := &sys{stdout: io.Discard, stderr: io.Discard}
				if _, run, err := parseLeaf(leaf, ex[:n], ex[n:], s); err != nil || run == nil {
					t.Errorf("example %q: %v", ex, err)
				}
			}
		})
		for _, c := range cmd.sub {
			walk(c, append(append([]string{}, path...), c.name))
		}
	}
	walk(adminTree(), []string{"edgeauth", "admin"})
}

// findLeaf finds the command a command line names, and how many of its
// words name it.
func findLeaf(words []string) (*command, int) {
	if len(words) < 2 || words[0] != "edgeauth" || words[1] != "admin" {
		return nil, 0
	}
	cmd, n := adminTree(), 2
	for cmd.sub != nil {
		if n == len(words) {
			return nil, 0
		}
		i := slices.IndexFunc(cmd.sub, func(c *command) bool { return c.name == words[n] })
		if i < 0 {
			return nil, 0
		}
		cmd, n = cmd.sub[i], n+1
	}
	return cmd, n
}

// exampleCommands splits an example into the words of its command
// lines: one line, or more joined by a final backslash; double quotes
// group words; a redirection, a pipe or a comment ends the command.
func exampleCommands(example string) [][]string {
	var cmds [][]string
	for _, line := range strings.Split(strings.ReplaceAll(example, "\\\n", " "), "\n") {
		var words []string
		var word strings.Builder
		quoted, inWord := false, false
	scan:
		for _, r := range line {
			switch {
			case r == '"':
				quoted, inWord = !quoted, true
			case quoted:
				word.WriteRune(r)
			case r == ' ':
				if inWord {
					words = append(words, word.String())
					word.Reset()
					inWord = false
				}
			case !inWord && (r == '<' || r == '|' || r == '#'):
				break scan
			default:
				word.WriteRune(r)
				inWord = true
			}
		}
		if inWord {
			words = append(words, word.String())
		}
		// An environment assignment before the command.
		for len(words) > 0 && strings.Contains(words[0], "=") {
			words = words[1:]
		}
		if len(words) > 0 {
			cmds = append(cmds, words)
		}
	}
	return cmds
}

// TestFlagsAnywhere: flags may come before or after the positional
// arguments, and "--" ends the flags.
func TestFlagsAnywhere(t *testing.T) {
	s := startServer(t)
	mustCLI(t, s.env(), "", "tenants", "create", "acme")
	mustCLI(t, s.env(), "", "clients", "create", "--tenant", "acme", "--id", "-web", "--public", "--redirect-uri", "http://127.0.0.1/cb")
	for _, args := range [][]string{
		{"clients", "get", "--tenant", "acme", "--", "-web"},
		{"clients", "get", "--tenant=acme", "-o", "json", "--", "-web"},
	} {
		r := mustCLI(t, s.env(), "", args...)
		if !strings.Contains(r.stdout, "-web") {
			t.Errorf("%q printed:\n%s", args, r.stdout)
		}
	}
	mustCLI(t, s.env(), "", "clients", "create", "--tenant", "acme", "--id", "web", "--public", "--redirect-uri", "http://127.0.0.1/cb")
	for _, args := range [][]string{
		{"clients", "get", "web", "--tenant", "acme"},
		{"clients", "get", "--tenant", "acme", "web", "-o", "json"},
		{"clients", "-h"},
	} {
		mustCLI(t, s.env(), "", args...)
	}
}

// TestFollow: audit list --follow prints the latest events, then the new
// ones as they come, oldest first (more than a page of them too), and an
// interrupt ends it with status 0.
func TestFollow(t *testing.T) {
	s := startServer(t)
	env := s.env()
	mustCLI(t, env, "", "tenants", "create", "acme")
	mustCLI(t, env, "", "clients", "create", "--tenant", "acme", "--id", "old", "--public", "--redirect-uri", "http://127.0.0.1/cb")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		s := &sys{stdin: strings.NewReader(""), stdout: pw, stderr: io.Discard, getenv: func(k string) string { return env[k] }, now: time.Now}
		done <- admin(ctx, []string{"audit", "list", "--tenant", "acme", "--follow", "--limit", "1", "--interval", "100ms", "-o", "json"}, s)
		pw.Close()
	}()
	lines := make(chan string, 1000)
	go func() {
		buf := make([]byte, 1<<20)
		var rest string
		for {
			n, err := pr.Read(buf)
			rest += string(buf[:n])
			for {
				i := strings.IndexByte(rest, '\n')
				if i < 0 {
					break
				}
				lines <- rest[:i]
				rest = rest[i+1:]
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	next := func() auditEvent {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("--follow ended")
			}
			var e auditEvent
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no event from --follow within 10 s")
		}
		return auditEvent{}
	}
	if e := next(); e.Event != "client.created" || e.Subject != "old" {
		t.Errorf("first event %+v; want the latest one, client.created old", e)
	}
	// 120 events: more than the page of 100 a poll asks for.
	const n = 120
	for i := range n {
		mustCLI(t, env, "", "clients", "create", "--tenant", "acme", "--id", "c"+strconv.Itoa(i), "--public", "--redirect-uri", "http://127.0.0.1/cb")
	}
	for i := range n {
		if e := next(); e.Event != "client.created" || e.Subject != "c"+strconv.Itoa(i) {
			t.Fatalf("event %d: %+v; want client.created c%d", i, e, i)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("--follow after an interrupt = %v; want nil (exit 0)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--follow did not end after the interrupt")
	}
	for l := range lines {
		t.Errorf("an event more than made: %s", l)
	}
}

// TestFollowRetries: a poll that fails with a 5xx is reported and tried
// again; a 401 ends --follow with exit 1.
func TestFollowRetries(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch n.Add(1) {
		case 1:
			io.WriteString(w, `{"events":[{"id":1,"time":"2026-01-02T03:04:05Z","event":"first"}]}`)
		case 2:
			w.WriteHeader(503)
			io.WriteString(w, `{"error":"server_error","error_description":"try later"}`)
		case 3:
			io.WriteString(w, `{"events":[{"id":2,"time":"2026-01-02T03:04:06Z","event":"second"},{"id":1,"time":"2026-01-02T03:04:05Z","event":"first"}]}`)
		default:
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"invalid_token","error_description":"the admin token is not valid"}`)
		}
	}))
	defer srv.Close()
	env := map[string]string{"EDGEAUTH_URL": srv.URL, "EDGEAUTH_ADMIN_TOKEN": "t"}
	r := runCLI(t, env, "", "audit", "list", "--follow", "--interval", "100ms", "-o", "json")
	if r.code != 1 || !strings.Contains(r.stderr, "the admin token was refused") {
		t.Errorf("--follow after a 401: %v\nwant exit 1 saying the token was refused", r)
	}
	if !strings.Contains(r.stderr, "the server failed (503 Service Unavailable): server_error: try later; trying again") {
		t.Errorf("--follow after a 503 did not say it tries again:\n%s", r.stderr)
	}
	want := `{"id":1,"time":"2026-01-02T03:04:05Z","event":"first"}` + "\n" + `{"id":2,"time":"2026-01-02T03:04:06Z","event":"second"}` + "\n"
	if r.stdout != want {
		t.Errorf("--follow printed:\n%s\nwant:\n%s", r.stdout, want)
	}
}

// TestShellWord: what the next-page hint prints is the username again
// when a shell reads it.
func TestShellWord(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skipf("no sh to read the words back: %v", err)
	}
	for _, s := range []string{"alice", "github:1234567", "a.b+c@d-e_f", "it's", "a b", "$(id)", "`id`", "x;y", "Ålice", "*", "~root", ""} {
		w := shellWord(s)
		out, err := exec.Command(sh, "-c", "printf %s "+w).Output()
		if err != nil || string(out) != s {
			t.Errorf("sh reads shellWord(%q) = %s as %q, %v; want %q", s, w, out, err, s)
		}
	}
	if w := shellWord("github:1234567"); w != "github:1234567" {
		t.Errorf("shellWord(%q) = %s; want it unquoted", "github:1234567", w)
	}
}
