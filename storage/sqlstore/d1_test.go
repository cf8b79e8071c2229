//go:build js && wasm

package sqlstore_test

import (
	"syscall/js"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
	"github.com/edgeauth/edgeauth/storage/storagetest"
)

// These tests run inside workerd, against the local D1 database and KV
// namespace bound as DB and KV: storage/sqlstore/workerd builds this test
// binary and runs it from a Worker.

func requireWorkerd(t *testing.T) {
	t.Helper()
	if js.Global().Get("context").IsUndefined() {
		t.Skip("no Workers runtime context: this test runs inside workerd via storage/sqlstore/workerd")
	}
}

func TestD1(t *testing.T) {
	requireWorkerd(t)
	store, err := sqlstore.NewD1("DB")
	if err != nil {
		t.Fatalf("sqlstore.NewD1(%q): %v", "DB", err)
	}
	storagetest.Run(t, func(*testing.T) storage.Store { return store })
}

func TestWorkersKV(t *testing.T) {
	requireWorkerd(t)
	namespace, err := kv.NewWorkers("KV")
	if err != nil {
		t.Fatalf("kv.NewWorkers(%q): %v", "KV", err)
	}
	storagetest.RunKV(t, func(*testing.T) (storage.KV, func(time.Duration)) { return namespace, nil })
}
