//go:build !js

package storagecount_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
	"github.com/edgeauth/edgeauth/storage/sqlstore"
	"github.com/edgeauth/edgeauth/storage/storagecount"
	"github.com/google/go-cmp/cmp"
)

func TestCounts(t *testing.T) {
	ctx := context.Background()
	sql, db, err := sqlstore.OpenSQLite(filepath.Join(t.TempDir(), "count.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var c storagecount.Counter
	store := storagecount.NewStore(sql, &c)
	kvs := storagecount.NewKV(kv.NewMemory(time.Now), &c)

	now := time.Now().UTC().Truncate(time.Second)
	if err := store.CreateTenant(ctx, storage.Tenant{ID: "t1", Name: "T1", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	if _, err := store.GetTenant(ctx, "t1"); err != nil {
		t.Fatalf("GetTenant: %v", err)
	}
	// A failed call is a round trip too.
	if _, err := store.GetTenant(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetTenant(nope) = %v; want ErrNotFound", err)
	}
	if _, err := store.ListClients(ctx, "t1"); err != nil {
		t.Fatalf("ListClients: %v", err)
	}
	if err := kvs.Put(ctx, "k", []byte("v"), storage.MinKVTTL); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if _, err := kvs.Get(ctx, "k"); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if err := kvs.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	want := storagecount.Counts{D1Reads: 3, D1Writes: 1, KVGets: 1, KVPuts: 1, KVDeletes: 1, Calls: map[string]int64{
		"CreateTenant": 1, "GetTenant": 2, "ListClients": 1, "KV.Get": 1, "KV.Put": 1, "KV.Delete": 1,
	}}
	got := c.Snapshot()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Snapshot() mismatch (-want +got):\n%s", diff)
	}
	if got.D1() != 4 || got.KV() != 3 {
		t.Errorf("D1() = %d, KV() = %d; want 4, 3", got.D1(), got.KV())
	}

	c.Reset()
	if got := c.Snapshot(); got.D1() != 0 || got.KV() != 0 || len(got.Calls) != 0 {
		t.Errorf("Snapshot() after Reset = %+v; want zero", got)
	}
	before := c.Snapshot()
	if _, err := store.GetTenant(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if d := c.Snapshot().Sub(before); d.D1Reads != 1 || d.Calls["GetTenant"] != 1 {
		t.Errorf("Sub = %+v; want one GetTenant read", d)
	}
}

// TestClassification checks the rule of the package doc against every
// method of storage.Store: Get* and List* are reads, the rest writes.
func TestClassification(t *testing.T) {
	ctx := context.Background()
	typ := reflect.TypeFor[storage.Store]()
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		var c storagecount.Counter
		s := reflect.ValueOf(storagecount.NewStore(panicStore{}, &c))
		args := []reflect.Value{reflect.ValueOf(ctx)}
		for j := 1; j < m.Type.NumIn(); j++ {
			args = append(args, reflect.Zero(m.Type.In(j)))
		}
		func() {
			defer func() { recover() }() // panicStore panics after the count
			s.MethodByName(m.Name).Call(args)
		}()
		got := c.Snapshot()
		read := strings.HasPrefix(m.Name, "Get") || strings.HasPrefix(m.Name, "List")
		if read && (got.D1Reads != 1 || got.D1Writes != 0) || !read && (got.D1Reads != 0 || got.D1Writes != 1) || got.Calls[m.Name] != 1 {
			t.Errorf("%s counted %+v; want one %s", m.Name, got, map[bool]string{true: "read", false: "write"}[read])
		}
	}
}

// panicStore is a storage.Store whose every method panics.
type panicStore struct{ storage.Store }
