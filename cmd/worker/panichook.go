//go:build js && wasm && pooltestpanic

package main

import (
	"context"

	"github.com/edgeauth/edgeauth/storage"
)

// Built only into the pool test's edgeauth Worker (cfworker's
// TestEdgeauthPanic; -tags pooltestpanic): reading the tenant
// "pooltest-panic" panics in the store, a stand-in for any bug in a
// handler, so that the test can panic through authz's real handlers.
func init() {
	wrapStore = func(s storage.Store) storage.Store { return panicStore{s} }
}

type panicStore struct{ storage.Store }

func (p panicStore) GetTenant(ctx context.Context, id string) (storage.Tenant, error) {
	if id == "pooltest-panic" {
		panic("pooltest: panic on demand in GetTenant")
	}
	return p.Store.GetTenant(ctx, id)
}
