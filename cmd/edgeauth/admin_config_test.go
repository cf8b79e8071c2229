package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// recorder is an admin API that answers every GET with a tenant and
// records the tokens it was sent.
type recorder struct {
	*httptest.Server
	mu     sync.Mutex
	tokens []string
}

func startRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.tokens = append(r.tokens, strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"acme","name":"Acme","settings":{}}`)
	}))
	t.Cleanup(r.Close)
	return r
}

// took returns the tokens sent since the last call.
func (r *recorder) took() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tokens
	r.tokens = nil
	return t
}

// writeConfig writes the profile file under dir with mode perm.
func writeConfig(t *testing.T, dir, text string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, "edgeauth", "config")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

// TestProfilePermissions: a profile file anyone but its owner may read or
// write is refused with a message that says how to fix it, and nothing is
// sent; 0600 and 0400 are read.
func TestProfilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix file modes; the check is off there")
	}
	srv := startRecorder(t)
	for _, c := range []struct {
		perm os.FileMode
		ok   bool
	}{
		{0o600, true}, {0o400, true},
		{0o644, false}, {0o640, false}, {0o604, false}, {0o660, false}, {0o602, false}, {0o700, false}, {0o666, false},
	} {
		t.Run(c.perm.String(), func(t *testing.T) {
			dir := t.TempDir()
			path := writeConfig(t, dir, "[default]\nurl = "+srv.URL+"\ntoken = secret-token\n", c.perm)
			r := runCLI(t, map[string]string{"XDG_CONFIG_HOME": dir}, "", "tenants", "get", "acme")
			sent := srv.took()
			if c.ok {
				if r.code != 0 || len(sent) != 1 || sent[0] != "secret-token" {
					t.Errorf("mode %v: sent %q; %v", c.perm, sent, r)
				}
				return
			}
			want := path + " has mode " + octal(c.perm)
			if r.code != 2 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "chmod 600 "+path) {
				t.Errorf("mode %v: %v\nwant exit 2 saying %q and chmod 600", c.perm, r, want)
			}
			if len(sent) != 0 {
				t.Errorf("mode %v: the token was sent (%q) from a file others can read", c.perm, sent)
			}
		})
	}
}

func octal(m os.FileMode) string {
	const digits = "01234567"
	p := uint32(m.Perm())
	return "0" + string([]byte{digits[p>>6&7], digits[p>>3&7], digits[p&7]})
}

// TestPrecedence: the URL and the token each come from the first of the
// flags, the environment and the profile; --profile makes the environment
// ignored; a profile's token goes to no URL but the profile's own.
func TestPrecedence(t *testing.T) {
	flagSrv, envSrv, profSrv, devSrv := startRecorder(t), startRecorder(t), startRecorder(t), startRecorder(t)
	dir := t.TempDir()
	writeConfig(t, dir, "# profiles\n[default]\nurl = "+profSrv.URL+"/\ntoken = profile-token\n\n[dev]\nurl = "+devSrv.URL+"\ntoken = dev-token\n", 0o600)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XDG_CONFIG_HOME": dir}
	envBoth := with(env, "EDGEAUTH_URL", envSrv.URL, "EDGEAUTH_ADMIN_TOKEN", "env-token")
	servers := map[string]*recorder{"flag": flagSrv, "env": envSrv, "profile": profSrv, "dev": devSrv}
	for _, c := range []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
		to    string // the server that gets the request
		token string // "": none is sent, exit 2
		msg   string
	}{
		{name: "profile alone", env: env, to: "profile", token: "profile-token"},
		{name: "environment over profile", env: envBoth, to: "env", token: "env-token"},
		{name: "environment token to the profile's URL", env: with(env, "EDGEAUTH_ADMIN_TOKEN", "env-token"), to: "profile", token: "env-token"},
		{name: "--url over environment", env: envBoth, args: []string{"--url", flagSrv.URL}, to: "flag", token: "env-token"},
		{name: "--token-file over environment", env: envBoth, args: []string{"--token-file", tokenFile}, to: "env", token: "file-token"},
		{name: "--token-stdin over environment", env: envBoth, stdin: " stdin-token \n", args: []string{"--token-stdin"}, to: "env", token: "stdin-token"},
		{name: "--profile ignores the environment", env: envBoth, args: []string{"--profile", "dev"}, to: "dev", token: "dev-token"},
		{name: "EDGEAUTH_PROFILE selects", env: with(env, "EDGEAUTH_PROFILE", "dev"), to: "dev", token: "dev-token"},
		{name: "EDGEAUTH_PROFILE does not hide the environment", env: with(envBoth, "EDGEAUTH_PROFILE", "dev"), to: "env", token: "env-token"},
		{name: "--url of the profile itself", env: env, args: []string{"--url", profSrv.URL}, to: "profile", token: "profile-token"},
		{name: "profile token to another URL", env: env, args: []string{"--url", flagSrv.URL},
			msg: `the token of profile "default" is for ` + profSrv.URL + "/, not for " + flagSrv.URL + " (from --url)"},
		{name: "profile token to the environment's URL", env: with(env, "EDGEAUTH_URL", envSrv.URL),
			msg: "not for " + envSrv.URL + " (from EDGEAUTH_URL)"},
		{name: "unknown profile", env: env, args: []string{"--profile", "prod"}, msg: `profile "prod" (--profile) is not in ` + filepath.Join(dir, "edgeauth", "config")},
		{name: "unknown EDGEAUTH_PROFILE", env: with(env, "EDGEAUTH_PROFILE", "prod"), msg: `profile "prod" (EDGEAUTH_PROFILE) is not in`},
		{name: "both token flags", env: envBoth, stdin: "x", args: []string{"--token-stdin", "--token-file", tokenFile}, msg: "--token-file and --token-stdin: give one"},
		{name: "empty token file", env: envBoth, args: []string{"--token-file", os.DevNull}, msg: "no token there"},
		{name: "two words on stdin", env: envBoth, stdin: "a b", args: []string{"--token-stdin"}, msg: "one line without spaces"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, c.env, c.stdin, append([]string{"tenants", "get", "acme"}, c.args...)...)
			sent := map[string][]string{}
			for name, s := range servers {
				if tokens := s.took(); len(tokens) > 0 {
					sent[name] = tokens
				}
			}
			if c.token == "" {
				if r.code != 2 || !strings.Contains(r.stderr, c.msg) || len(sent) > 0 {
					t.Errorf("%v\nsent %q; want exit 2 saying %q and nothing sent", r, sent, c.msg)
				}
				return
			}
			if r.code != 0 || len(sent) != 1 || len(sent[c.to]) != 1 || sent[c.to][0] != c.token {
				t.Errorf("%v\nsent %q; want %q to %s only", r, sent, c.token, c.to)
			}
		})
	}
}

// TestLogin: login checks the token before it saves anything, writes the
// profile file 0600 in a 0700 directory, keeps the other profiles, and the
// commands then find the URL and the token there.
func TestLogin(t *testing.T) {
	s := startServer(t)
	dir := filepath.Join(t.TempDir(), "xdg")
	env := map[string]string{"XDG_CONFIG_HOME": dir}
	path := filepath.Join(dir, "edgeauth", "config")

	r := runCLI(t, env, "wrong-token\n", "login", "--url", s.url, "--token-stdin")
	if r.code != 1 || !strings.Contains(r.stderr, "the admin token was refused") {
		t.Errorf("login with a wrong token: %v", r)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("login with a wrong token wrote the profile file (stat: %v)", err)
	}
	if r := runCLI(t, env, "", "login", "--token-stdin"); r.code != 2 || !strings.Contains(r.stderr, "--url") {
		t.Errorf("login without a URL: %v", r)
	}

	mustCLI(t, env, s.token+"\n", "login", "--url", s.url+"/", "--token-stdin")
	mustCLI(t, with(env, "EDGEAUTH_ADMIN_TOKEN", s.token), "", "login", "--profile", "local", "--url", strings.Replace(s.url, "127.0.0.1", "localhost", 1))
	// Again without --url: the profile keeps its URL and gets the new token.
	mustCLI(t, env, s.token+"\n", "login", "--profile", "local", "--token-stdin")
	if runtime.GOOS != "windows" {
		for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700 | os.ModeDir} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != want {
				t.Errorf("%s: mode %v; want %v", p, fi.Mode(), want)
			}
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := parseProfiles(b, path)
	if err != nil {
		t.Fatal(err)
	}
	want := profiles{{"default", s.url, s.token}, {"local", strings.Replace(s.url, "127.0.0.1", "localhost", 1), s.token}}
	if len(ps) != len(want) || ps[0] != want[0] || ps[1] != want[1] {
		t.Errorf("profile file holds %q; want %q", ps, want)
	}
	mustCLI(t, env, "", "tenants", "create", "acme")
	mustCLI(t, env, "", "tenants", "get", "acme", "--profile", "local")

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, env, s.token, "login", "--url", s.url, "--token-stdin"); r.code != 2 || !strings.Contains(r.stderr, "chmod 600") {
		t.Errorf("login over a profile file of mode 0644: %v", r)
	}
}

func TestParseProfiles(t *testing.T) {
	for _, c := range []struct{ text, msg string }{
		{"url = x\n", "f:1: url outside a [profile]"},
		{"[a]\nurl x\n", "f:2: want key = value"},
		{"[a]\nuser = x\n", `f:2: unknown key "user"`},
		{"[a b]\n", "f:1: want [name]"},
		{"[a]\n[a]\n", `f:2: profile "a" again`},
	} {
		_, err := parseProfiles([]byte(c.text), "f")
		if exitCode(err) != 2 || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("parseProfiles(%q) = %v; want a usage error saying %q", c.text, err, c.msg)
		}
	}
	ps, err := parseProfiles([]byte("; comment\n# comment\n\n[ a ]\n  url=https://x \ntoken = t=1\n[b]\n"), "f")
	if err != nil || len(ps) != 2 || ps[0] != (profile{"a", "https://x", "t=1"}) || ps[1] != (profile{name: "b"}) {
		t.Errorf("parseProfiles = %q, %v", ps, err)
	}
}
