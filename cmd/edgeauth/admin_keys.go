package main

import (
	"cmp"
	"context"
	"flag"
	"io"
	"slices"
)

func keysCommand() *command {
	return &command{
		name:    "keys",
		summary: "list, rotate and revoke a tenant's signing keys",
		usage:   "COMMAND --tenant T [KID]",
		example: "edgeauth admin keys list --tenant acme\n" +
			"edgeauth admin keys rotate --tenant acme",
		sub: []*command{{
			name:    "list",
			summary: "list the signing keys with their states (next, current, retired) and dates",
			usage:   "--tenant T",
			example: "edgeauth admin keys list --tenant acme",
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).listKeys },
		}, {
			name:    "rotate",
			summary: "rotate now: the published next key starts signing, a new next key is made",
			usage:   "--tenant T",
			example: "edgeauth admin keys rotate --tenant acme",
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).rotateKeys },
		}, {
			name: "revoke",
			summary: "revoke a key at once (compromise): it leaves the JWKS and the tokens it signed stop verifying; " +
				"after a failure, run it again until it succeeds or says the key is not found",
			usage:   "--tenant T KID",
			example: "edgeauth admin keys revoke --tenant acme 7Yc1rZ...",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).revokeKey },
		}},
	}
}

type keyInfo struct {
	KID         string `json:"kid"`
	Alg         string `json:"alg"`
	Use         string `json:"use"`
	State       string `json:"state"`
	CreatedAt   string `json:"created_at"`
	ActivatedAt string `json:"activated_at"`
	RetiredAt   string `json:"retired_at"`
}

func (t *tenant) listKeys(ctx context.Context, c *call) error {
	return t.keys(ctx, c, apiRequest{method: "GET", path: apiPath("tenants", t.id, "keys")})
}

func (t *tenant) rotateKeys(ctx context.Context, c *call) error {
	return t.keys(ctx, c, apiRequest{method: "POST", path: apiPath("tenants", t.id, "keys", "rotate")})
}

// keys sends req and shows the key list it answers.
func (t *tenant) keys(ctx context.Context, c *call, req apiRequest) error {
	var list struct {
		Keys []keyInfo `json:"keys"`
	}
	raw, err := c.api.call(ctx, req, &list)
	if err != nil {
		return err
	}
	return c.show(raw, func(w io.Writer) error {
		slices.SortStableFunc(list.Keys, keyOrder)
		rows := make([][]string, len(list.Keys))
		for i, k := range list.Keys {
			rows[i] = []string{k.KID, k.Alg, k.Use, k.State, k.CreatedAt, k.ActivatedAt, k.RetiredAt}
		}
		return table(w, []string{"KID", "ALG", "USE", "STATE", "CREATED", "ACTIVATED", "RETIRED"}, rows)
	})
}

// keyOrder sorts a table of keys for people: access-token keys, then
// ID-token keys; each in the order of their lives (current, next,
// retired), then by creation. The API's own order (creation, then kid)
// puts keys made at once in a random order.
func keyOrder(a, b keyInfo) int {
	rank := func(k keyInfo) (int, int) {
		use := slices.Index([]string{"access", "id"}, k.Use)
		state := slices.Index([]string{"current", "next", "retired"}, k.State)
		return use, state
	}
	au, as := rank(a)
	bu, bs := rank(b)
	return cmp.Or(cmp.Compare(au, bu), cmp.Compare(as, bs), cmp.Compare(a.CreatedAt, b.CreatedAt))
}

func (t *tenant) revokeKey(ctx context.Context, c *call) error {
	if _, err := c.api.do(ctx, apiRequest{method: "DELETE", path: apiPath("tenants", t.id, "keys", c.args[0])}); err != nil {
		return err
	}
	return c.done("Revoked key %q of tenant %q: it is out of the JWKS.", c.args[0], t.id)
}
