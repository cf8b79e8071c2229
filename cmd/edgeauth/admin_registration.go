package main

import (
	"context"
	"flag"
	"io"
)

func registrationTokensCommand() *command {
	return &command{
		name:    "registration-tokens",
		summary: "make initial access tokens for dynamic client registration (RFC 7591)",
		usage:   "COMMAND --tenant T",
		example: "edgeauth admin tenants update acme --registration token\n" +
			"edgeauth admin registration-tokens create --tenant acme",
		sub: []*command{{
			name: "create",
			summary: "make a new initial access token, printed once; the previous one stops working " +
				"(used when the tenant's registration is \"token\")",
			usage:   "--tenant T",
			example: "edgeauth admin registration-tokens create --tenant acme",
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).createRegistrationToken },
		}},
	}
}

func (t *tenant) createRegistrationToken(ctx context.Context, c *call) error {
	raw, err := c.api.call(ctx, apiRequest{method: "POST", path: apiPath("tenants", t.id, "registration-token")}, nil)
	if err != nil {
		return err
	}
	err = c.show(raw, func(w io.Writer) error { return object(w, raw, []string{"initial_access_token"}) })
	if err != nil {
		return err
	}
	c.note(secretNote+" The previous token no longer works.", "initial access token")
	return nil
}
