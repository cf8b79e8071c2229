package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// seed creates the demo tenant, a public first-party app, a confidential
// service client and a user through the admin API. What exists already is
// left as it is, so seed can run on every `make dev`.
func seed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:8787", "edgeauth base URL")
	tenant := fs.String("tenant", "demo", "tenant id to create")
	devVars := fs.String("dev-vars", ".dev.vars", "file with ADMIN_TOKEN and DEMO_PASSWORD (environment variables win)")
	fs.Parse(args)

	vars, err := readDevVars(*devVars)
	if err != nil {
		return err
	}
	token, password := lookup("ADMIN_TOKEN", vars), lookup("DEMO_PASSWORD", vars)
	if token == "" || password == "" {
		return errors.New("seed: ADMIN_TOKEN and DEMO_PASSWORD must be set (make dev writes them to .dev.vars)")
	}
	a := newAdminClient(*base, token, "ADMIN_TOKEN")
	t := *tenant
	steps := []struct {
		what, path string
		body       any
	}{
		{"tenant " + t, "/admin/v1/tenants", map[string]any{"id": t, "name": "Demo tenant"}},
		{"client demo-app (public, first party)", "/admin/v1/tenants/" + t + "/clients", map[string]any{
			"client_id": "demo-app", "client_name": "Demo app", "token_endpoint_auth_method": "none", "first_party": true,
			"redirect_uris": []string{"http://127.0.0.1:8788/callback"}, "grant_types": []string{"authorization_code", "refresh_token"},
			"scope": "openid profile email read write"}},
		{"client demo-service (confidential, client_credentials)", "/admin/v1/tenants/" + t + "/clients", map[string]any{
			"client_id": "demo-service", "client_name": "Demo service", "token_endpoint_auth_method": "client_secret_basic",
			"grant_types": []string{"client_credentials"}, "scope": "read write"}},
		{"user demo", "/admin/v1/tenants/" + t + "/users", map[string]any{
			"username": "demo", "password": password, "email": "demo@example.com", "roles": []string{"admin"}}},
	}
	for _, st := range steps {
		created, body, err := seedCreate(ctx, a, st.path, st.body)
		switch {
		case err != nil:
			return fmt.Errorf("seed: %s: %w", st.what, err)
		case !created:
			fmt.Printf("exists   %s\n", st.what)
		default:
			fmt.Printf("created  %s\n", st.what)
			if secret, _ := body["client_secret"].(string); secret != "" {
				// Never printed: it goes to the gitignored dev-vars file, the
				// only place it is kept in clear.
				if err := appendDevVar(*devVars, "DEMO_SERVICE_SECRET", secret); err != nil {
					return fmt.Errorf("seed: saving the demo client secret: %w", err)
				}
				fmt.Printf("         its client_secret is DEMO_SERVICE_SECRET in %s\n", *devVars)
			}
		}
	}
	return nil
}

// seedCreate POSTs body; it reports false when the resource already exists.
func seedCreate(ctx context.Context, a *adminClient, path string, body any) (bool, map[string]any, error) {
	var out map[string]any
	_, err := a.call(ctx, apiRequest{method: "POST", path: path, body: body}, &out)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict {
		return false, nil, nil
	}
	return err == nil, out, err
}

// readDevVars reads KEY=VALUE lines (values optionally quoted), as wrangler
// reads .dev.vars. A missing file is an empty set.
func readDevVars(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		vars[strings.TrimSpace(k)] = v
	}
	return vars, sc.Err()
}

func lookup(name string, vars map[string]string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return vars[name]
}

// appendDevVar adds KEY=value to the dev-vars file (created 0600 if absent)
// on a line of its own: a newline goes first when the file does not end in
// one.
func appendDevVar(path, key, value string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	line := key + "=" + value + "\n"
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if n := fi.Size(); n > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, n-1); err != nil {
			f.Close()
			return err
		}
		if last[0] != '\n' {
			line = "\n" + line
		}
	}
	if _, err := io.WriteString(f, line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
