//go:build !js

package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/edgeauth/edgeauth/storage/storagecount"
)

// opCounts is the mean storage traffic of one operation.
type opCounts struct {
	D1Reads   float64            `json:"d1_reads"`
	D1Writes  float64            `json:"d1_writes"`
	KVGets    float64            `json:"kv_gets"`
	KVPuts    float64            `json:"kv_puts"`
	KVDeletes float64            `json:"kv_deletes"`
	Calls     map[string]float64 `json:"calls"`
}

func meanCounts(c storagecount.Counts, n int) opCounts {
	f := float64(n)
	o := opCounts{
		D1Reads: float64(c.D1Reads) / f, D1Writes: float64(c.D1Writes) / f,
		KVGets: float64(c.KVGets) / f, KVPuts: float64(c.KVPuts) / f, KVDeletes: float64(c.KVDeletes) / f,
		Calls: map[string]float64{},
	}
	for _, k := range c.CallNames() {
		o.Calls[k] = float64(c.Calls[k]) / f
	}
	return o
}

// storageResult is the storage traffic of one scenario's operation.
type storageResult struct {
	Scenario string   `json:"scenario"`
	Runs     int      `json:"runs"`
	PerOp    opCounts `json:"per_op"`
	// Steps splits a flow into its requests (one run, after the others).
	Steps []stepCounts `json:"steps,omitempty"`
}

type stepCounts struct {
	Step   string   `json:"step"`
	Counts opCounts `json:"counts"`
}

// countStorage runs each scenario's single operation against an
// in-process edgeauth whose Store and KV count their calls. The handler is
// the same code the Worker runs, so the counts hold for D1 and Workers KV.
// Each operation runs once to warm what the server caches, then runs times
// counted; the mean is per operation.
func countStorage(ctx context.Context, runs int) ([]storageResult, error) {
	var c storagecount.Counter
	adminToken := randomSecret()
	n, err := startNative(adminToken, &c)
	if err != nil {
		return nil, err
	}
	defer n.close()
	transport := &http.Transport{MaxIdleConnsPerHost: 4}
	s := &server{base: n.url, adminToken: adminToken, http: newHTTPClient(transport)}
	if err := s.seed(ctx); err != nil {
		return nil, err
	}
	cl := newHTTPClient(transport)

	type counted struct {
		name string
		run  func() error
	}
	var rt string
	var web bool
	// The warm-up run of code_flow_session signs this browser in; the
	// counted runs find it signed in.
	signedIn := newBrowser(transport)
	cases := []counted{
		{"metadata", func() error { return get(ctx, cl, s.base+"/.well-known/oauth-authorization-server/t/"+s.tenant) }},
		{"jwks", func() error { return get(ctx, cl, s.issuer+"/jwks.json") }},
		{"client_credentials", func() error { return s.clientCredentials(ctx, cl) }},
		{"refresh", func() error {
			if rt == "" {
				return fmt.Errorf("no refresh token")
			}
			next, err := s.refresh(ctx, cl, rt)
			rt = next
			return err
		}},
		{"code_flow", func() error {
			_, err := s.codeFlow(ctx, transport, web)
			return err
		}},
		{"code_flow_session", func() error {
			_, err := s.codeFlowIn(ctx, signedIn, transport, false)
			return err
		}},
	}
	var out []storageResult
	for _, cs := range cases {
		if cs.name == "refresh" {
			t, err := s.codeFlow(ctx, transport, false)
			if err != nil {
				return nil, err
			}
			rt = t.RefreshToken
		}
		if err := cs.run(); err != nil { // warm-up
			return nil, fmt.Errorf("%s (warm-up): %w", cs.name, err)
		}
		c.Reset()
		for range runs {
			if err := cs.run(); err != nil {
				return nil, fmt.Errorf("%s: %w", cs.name, err)
			}
		}
		r := storageResult{Scenario: cs.name, Runs: runs, PerOp: meanCounts(c.Snapshot(), runs)}
		switch cs.name {
		case "code_flow":
			if r.Steps, err = flowSteps(ctx, s, &c, transport, false); err != nil {
				return nil, err
			}
		case "code_flow_session":
			if r.Steps, err = steps(s, &c, cs.run); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}

	// The third-party web client: the first flow shows the consent page,
	// later ones find the consent in D1.
	for _, name := range []string{"code_flow_consent_first", "code_flow_consent_remembered"} {
		before := c.Snapshot()
		steps, err := flowSteps(ctx, s, &c, transport, true)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, storageResult{Scenario: name, Runs: 1, PerOp: meanCounts(c.Snapshot().Sub(before), 1), Steps: steps})
	}
	return out, nil
}

// flowSteps runs one code flow and splits its storage traffic by request.
func flowSteps(ctx context.Context, s *server, c *storagecount.Counter, transport http.RoundTripper, web bool) ([]stepCounts, error) {
	return steps(s, c, func() error {
		_, err := s.codeFlow(ctx, transport, web)
		return err
	})
}

// steps runs flow once and splits its storage traffic by request (the
// steps s.hook names).
func steps(s *server, c *storagecount.Counter, flow func() error) ([]stepCounts, error) {
	var steps []stepCounts
	last := c.Snapshot()
	s.hook = func(step string) {
		now := c.Snapshot()
		steps = append(steps, stepCounts{Step: step, Counts: meanCounts(now.Sub(last), 1)})
		last = now
	}
	defer func() { s.hook = nil }()
	return steps, flow()
}
