package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/edgeauth/edgeauth/internal/syntax"
)

// Where the admin CLI finds the server's URL and the admin token, the
// first found winning:
//
//	URL      --url, EDGEAUTH_URL, the profile's url
//	token    --token-file or --token-stdin, EDGEAUTH_ADMIN_TOKEN, the profile's token
//	profile  --profile, EDGEAUTH_PROFILE, "default"
//
// A profile named with --profile is asked for by name, so EDGEAUTH_URL and
// EDGEAUTH_ADMIN_TOKEN are then not read. A profile's token is sent only
// to the profile's own URL: with --url or EDGEAUTH_URL pointing elsewhere
// the token has to come from elsewhere too. The token is never a flag's
// value, which the shell history and ps would show.

// connFlags are the connection flags every admin command has.
type connFlags struct {
	url, profile, tokenFile  string
	tokenStdin, insecureHTTP bool
}

func declareConnFlags(fs *flag.FlagSet) *connFlags {
	f := &connFlags{}
	fs.StringVar(&f.url, "url", "", "the server's base `URL`, e.g. https://auth.example.com (else EDGEAUTH_URL, else the profile's)")
	fs.StringVar(&f.profile, "profile", "", "the profile `NAME` to use (else EDGEAUTH_PROFILE, else \"default\"); the environment's URL and token are then not used")
	fs.StringVar(&f.tokenFile, "token-file", "", "read the admin token from this `FILE` (else EDGEAUTH_ADMIN_TOKEN, else the profile's)")
	fs.BoolVar(&f.tokenStdin, "token-stdin", false, "read the admin token from standard input")
	fs.BoolVar(&f.insecureHTTP, "insecure-http", false, "allow http:// to a host that is not loopback: the token crosses the network in clear, so only on a network no one else can read")
	return f
}

// connection is where a command sends its requests, and with which token.
type connection struct {
	url, urlFrom     string
	token, tokenFrom string
}

// profileName is the selected profile, and the setting that named it:
// "--profile", "EDGEAUTH_PROFILE", or "" for the default.
func (f *connFlags) profileName(s *sys) (name, from string) {
	switch {
	case f.profile != "":
		return f.profile, "--profile"
	case s.getenv("EDGEAUTH_PROFILE") != "":
		return s.getenv("EDGEAUTH_PROFILE"), "EDGEAUTH_PROFILE"
	default:
		return "default", ""
	}
}

// flagToken is the token of --token-file or --token-stdin, if one was
// given; from says which.
func (f *connFlags) flagToken(s *sys) (token, from string, err error) {
	switch {
	case f.tokenFile != "" && f.tokenStdin:
		return "", "", usagef("--token-file and --token-stdin: give one")
	case f.tokenFile != "":
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return "", "", usagef("--token-file: %v", err)
		}
		token, err := oneToken(b, "--token-file "+f.tokenFile)
		return token, "--token-file " + f.tokenFile, err
	case f.tokenStdin:
		b, err := io.ReadAll(io.LimitReader(s.stdin, 64<<10))
		if err != nil {
			return "", "", usagef("--token-stdin: %v", err)
		}
		token, err := oneToken(b, "--token-stdin")
		return token, "--token-stdin", err
	}
	return "", "", nil
}

// oneToken is b without surrounding white space, which must leave one
// word.
func oneToken(b []byte, from string) (string, error) {
	t := strings.TrimSpace(string(b))
	switch {
	case t == "":
		return "", usagef("%s: no token there", from)
	case strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "", usagef("%s: the token must be one line without spaces", from)
	}
	return t, nil
}

// resolve finds the URL and the token (see the top of this file).
func (f *connFlags) resolve(s *sys) (connection, error) {
	name, nameFrom := f.profileName(s)
	// A profile asked for by name on the command line is used whole.
	named := nameFrom == "--profile"
	var c connection
	var err error
	if c.token, c.tokenFrom, err = f.flagToken(s); err != nil {
		return c, err
	}
	if f.url != "" {
		c.url, c.urlFrom = f.url, "--url"
	} else if v := s.getenv("EDGEAUTH_URL"); v != "" && !named {
		c.url, c.urlFrom = v, "EDGEAUTH_URL"
	}
	if v := s.getenv("EDGEAUTH_ADMIN_TOKEN"); c.token == "" && v != "" && !named {
		c.token, c.tokenFrom = v, "EDGEAUTH_ADMIN_TOKEN"
	}
	if c.url == "" || c.token == "" {
		if err := c.fromProfile(s, name, nameFrom); err != nil {
			return c, err
		}
	}
	switch {
	case c.url == "":
		return c, usagef("no server URL: give --url, set EDGEAUTH_URL, or save a profile with edgeauth admin login")
	case c.token == "":
		return c, usagef("no admin token: give --token-file or --token-stdin, set EDGEAUTH_ADMIN_TOKEN, or save a profile with edgeauth admin login")
	}
	if c.url, err = checkURL(c.url, c.urlFrom, f.insecureHTTP); err != nil {
		return c, err
	}
	return c, nil
}

// fromProfile fills what c lacks from the profile name. A profile that is
// not there is an error unless it is the default (nameFrom "").
func (c *connection) fromProfile(s *sys, name, nameFrom string) error {
	path, err := configPath(s)
	if err != nil {
		return err
	}
	profiles, err := readProfiles(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && nameFrom != "":
		return usagef("profile %q (%s): there is no profile file %s (edgeauth admin login writes it)", name, nameFrom, path)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	}
	p, ok := profiles.get(name)
	if !ok {
		if nameFrom != "" {
			return usagef("profile %q (%s) is not in %s", name, nameFrom, path)
		}
		return nil
	}
	from := fmt.Sprintf("profile %q in %s", name, path)
	if c.url == "" && p.url != "" {
		c.url, c.urlFrom = p.url, from
	}
	if c.token == "" && p.token != "" {
		if strings.TrimSuffix(c.url, "/") != strings.TrimSuffix(p.url, "/") {
			return usagef("the token of profile %q is for %s, not for %s (from %s): give that server's token with --token-file, --token-stdin or EDGEAUTH_ADMIN_TOKEN", name, p.url, c.url, c.urlFrom)
		}
		c.token, c.tokenFrom = p.token, from
	}
	return nil
}

// checkURL checks the server's base URL and returns it without a trailing
// slash. Plain http is for loopback only, unless insecure.
func checkURL(raw, from string, insecure bool) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return "", usagef("%s: %q is not an http(s) URL like https://auth.example.com", from, raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Contains(raw, "#"):
		return "", usagef("%s: %q: give scheme://host[:port] without user, query or fragment", from, raw)
	case strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/admin/v1"):
		return "", usagef("%s: %q: give the server's base URL, without /admin/v1", from, raw)
	case u.Scheme == "http" && !syntax.IsLoopbackHost(u.Hostname()) && !insecure:
		return "", usagef("%s: %q: the admin token would cross the network in clear; use https (http is for loopback hosts, or give --insecure-http)", from, raw)
	}
	return strings.TrimSuffix(raw, "/"), nil
}

// client is the admin API client of the resolved connection.
func (f *connFlags) client(s *sys) (*adminClient, error) {
	c, err := f.resolve(s)
	if err != nil {
		return nil, err
	}
	return newAdminClient(c.url, c.token, c.tokenFrom), nil
}

// configPath is $XDG_CONFIG_HOME/edgeauth/config, or
// ~/.config/edgeauth/config when XDG_CONFIG_HOME is not set (the XDG base
// directory rule), on every system.
func configPath(s *sys) (string, error) {
	if dir := s.getenv("XDG_CONFIG_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "edgeauth", "config"), nil
	}
	home := s.getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", usagef("no home directory for the profile file: set HOME or XDG_CONFIG_HOME (%v)", err)
		}
	}
	return filepath.Join(home, ".config", "edgeauth", "config"), nil
}

// profile is one [section] of the profile file.
type profile struct {
	name, url, token string
}

type profiles []profile

func (ps profiles) get(name string) (profile, bool) {
	i := slices.IndexFunc(ps, func(p profile) bool { return p.name == name })
	if i < 0 {
		return profile{}, false
	}
	return ps[i], true
}

// put adds p or replaces the profile of its name.
func (ps profiles) put(p profile) profiles {
	if i := slices.IndexFunc(ps, func(q profile) bool { return q.name == p.name }); i >= 0 {
		ps[i] = p
		return ps
	}
	return append(ps, p)
}

// readProfiles reads the profile file:
//
//	# comment
//	[default]
//	url = https://auth.example.com
//	token = ...
//
// It holds admin tokens, so it is refused when anyone but its owner may
// read or write it (a mode wider than 0600): the token in it may already
// be known to others, and a file others can write could send the token
// to their server.
func readProfiles(path string) (profiles, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	} else if err != nil {
		return nil, usagef("profile file: %v", err)
	}
	if perm := fi.Mode().Perm(); perm&^0o600 != 0 && runtime.GOOS != "windows" {
		return nil, usagef("%s has mode %04o; it holds admin tokens, so it must be readable and writable by its owner only: chmod 600 %s (and replace the tokens if others could read them)", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("profile file: %v", err)
	}
	return parseProfiles(b, path)
}

func parseProfiles(b []byte, path string) (profiles, error) {
	var ps profiles
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			name, ok := strings.CutSuffix(line[1:], "]")
			if name = strings.TrimSpace(name); !ok || !validProfileName(name) {
				return nil, usagef("%s:%d: want [name], the name of letters, digits, '.', '_' or '-'", path, n)
			}
			if _, dup := ps.get(name); dup {
				return nil, usagef("%s:%d: profile %q again", path, n, name)
			}
			ps = append(ps, profile{name: name})
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok:
			return nil, usagef("%s:%d: want key = value", path, n)
		case len(ps) == 0:
			return nil, usagef("%s:%d: %s outside a [profile]", path, n, k)
		case k == "url":
			ps[len(ps)-1].url = v
		case k == "token":
			ps[len(ps)-1].token = v
		default:
			return nil, usagef("%s:%d: unknown key %q (want url or token)", path, n, k)
		}
	}
	return ps, sc.Err()
}

func validProfileName(s string) bool {
	return s != "" && len(s) <= 64 && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	})
}

// writeProfiles replaces the profile file with ps, mode 0600, in a new
// file renamed over the old one, so that a reader sees the old or the new
// file whole. Its directory is made 0700 when missing.
func writeProfiles(path string, ps profiles) error {
	var b bytes.Buffer
	b.WriteString("# edgeauth admin CLI profiles, written by edgeauth admin login.\n# It holds admin tokens: keep it mode 0600.\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "\n[%s]\nurl = %s\ntoken = %s\n", p.name, p.url, p.token)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".config-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func loginCommand() *command {
	return &command{
		name:    "login",
		summary: "check an admin token against a server and save both as a profile",
		usage:   "[--profile NAME] [--url URL] (--token-stdin | --token-file PATH)",
		example: "edgeauth admin login --url https://auth.example.com --token-stdin < admin-token\n" +
			"edgeauth admin login --profile dev --url http://127.0.0.1:8787 --token-file dev-admin-token",
		offline:  true,
		noOutput: true,
		flags:    func(*flag.FlagSet) runFunc { return login },
	}
}

// login checks the token with one authenticated request and saves it in
// the profile, with the URL. The URL is --url, else the profile's own; the
// token --token-file or --token-stdin, else EDGEAUTH_ADMIN_TOKEN.
func login(ctx context.Context, c *call) error {
	name, _ := c.conn.profileName(c.sys)
	if !validProfileName(name) {
		return usagef("profile name %q: letters, digits, '.', '_' and '-' only", name)
	}
	path, err := configPath(c.sys)
	if err != nil {
		return err
	}
	ps, err := readProfiles(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	p, _ := ps.get(name)
	p.name = name
	from := "--url"
	if c.conn.url != "" {
		p.url = c.conn.url
	} else if from = fmt.Sprintf("profile %q", name); p.url == "" {
		return usagef("give the server's URL with --url")
	}
	if p.url, err = checkURL(p.url, from, c.conn.insecureHTTP); err != nil {
		return err
	}
	token, tokenFrom, err := c.conn.flagToken(c.sys)
	if err != nil {
		return err
	}
	if token == "" {
		if token, tokenFrom = c.sys.getenv("EDGEAUTH_ADMIN_TOKEN"), "EDGEAUTH_ADMIN_TOKEN"; token == "" {
			return usagef("give the admin token with --token-stdin, --token-file or EDGEAUTH_ADMIN_TOKEN")
		}
	}
	p.token = token
	api := newAdminClient(p.url, token, tokenFrom)
	if _, err := api.do(ctx, apiRequest{method: "GET", path: apiPath("audit"), query: url.Values{"limit": {"1"}}}); err != nil {
		return err
	}
	if err := writeProfiles(path, ps.put(p)); err != nil {
		return fmt.Errorf("saving the profile: %w", err)
	}
	fmt.Fprintf(c.sys.stdout, "The token works with %s; saved as profile %q in %s (mode 0600).\n", p.url, name, path)
	return nil
}
