package jwks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	gocmp "github.com/google/go-cmp/cmp"
)

// memKeys is an in-memory storage.SigningKeys with the documented errors.
type memKeys struct {
	mu      sync.Mutex
	tenants map[string]bool
	keys    map[[2]string]storage.SigningKey
	// failAfter, when > 0, makes CreateKey fail once that many keys exist.
	failAfter int
}

var _ storage.SigningKeys = (*memKeys)(nil)

func newMemKeys(tenants ...string) *memKeys {
	m := &memKeys{tenants: map[string]bool{}, keys: map[[2]string]storage.SigningKey{}}
	for _, t := range tenants {
		m.tenants[t] = true
	}
	return m
}

var errInjected = errors.New("memkeys: injected failure")

func (m *memKeys) CreateKey(_ context.Context, k storage.SigningKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failAfter > 0 && len(m.keys) >= m.failAfter {
		return errInjected
	}
	if !m.tenants[k.TenantID] {
		return fmt.Errorf("memkeys: tenant %q: %w", k.TenantID, storage.ErrNotFound)
	}
	id := [2]string{k.TenantID, k.KID}
	if _, ok := m.keys[id]; ok {
		return fmt.Errorf("memkeys: key %q: %w", k.KID, storage.ErrAlreadyExists)
	}
	m.keys[id] = k
	return nil
}

func (m *memKeys) ListKeys(_ context.Context, tenantID string) ([]storage.SigningKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []storage.SigningKey
	for _, k := range m.keys {
		if k.TenantID == tenantID {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b storage.SigningKey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.KID, b.KID))
	})
	return out, nil
}

func (m *memKeys) SetKeyState(_ context.Context, tenantID, kid string, from, to storage.KeyState, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := [2]string{tenantID, kid}
	k, ok := m.keys[id]
	if !ok {
		return storage.ErrNotFound
	}
	if k.State != from {
		return storage.ErrConflict
	}
	k.State = to
	switch to {
	case storage.KeyCurrent:
		k.ActivatedAt = at
	case storage.KeyRetired:
		k.RetiredAt = at
	}
	m.keys[id] = k
	return nil
}

func (m *memKeys) DeleteKey(_ context.Context, tenantID, kid string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := [2]string{tenantID, kid}
	if _, ok := m.keys[id]; !ok {
		return storage.ErrNotFound
	}
	delete(m.keys, id)
	return nil
}

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	s := newTestSealer(t)
	for _, alg := range testAlgs {
		t.Run(alg, func(t *testing.T) {
			store := newMemKeys("acme")
			got, err := (&Rotator{Store: store, Sealer: s}).Bootstrap(ctx, "acme", alg, testNow)
			if err != nil {
				t.Fatalf("Bootstrap: %v", err)
			}
			type meta struct {
				Alg         string
				Use         storage.KeyUse
				State       storage.KeyState
				CreatedAt   time.Time
				ActivatedAt time.Time
			}
			var metas []meta
			for _, k := range got {
				metas = append(metas, meta{k.Alg, k.Use, k.State, k.CreatedAt, k.ActivatedAt})
			}
			want := []meta{
				{alg, storage.UseAccessToken, storage.KeyCurrent, testNow, testNow},
				{alg, storage.UseAccessToken, storage.KeyNext, testNow, time.Time{}},
				{RS256, storage.UseIDToken, storage.KeyCurrent, testNow, testNow},
			}
			if diff := gocmp.Diff(want, metas); diff != "" {
				t.Fatalf("Bootstrap keys (-want +got):\n%s", diff)
			}

			stored, err := store.ListKeys(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(kids(slices.SortedFunc(slices.Values(got), byKID)), kids(slices.SortedFunc(slices.Values(stored), byKID))); diff != "" {
				t.Errorf("stored kids (-want +got):\n%s", diff)
			}
			cur, err := Current(stored, storage.UseAccessToken)
			if err != nil || cur.KID != got[0].KID {
				t.Errorf("Current(stored) = %q, %v; want %q", cur.KID, err, got[0].KID)
			}
			if id, err := Current(stored, storage.UseIDToken); err != nil || id.KID != got[2].KID {
				t.Errorf("Current(stored, id) = %q, %v; want %q", id.KID, err, got[2].KID)
			}
			if len(Published(stored)) != 3 {
				t.Errorf("Published(stored) has %d keys; want 3", len(Published(stored)))
			}
			if _, err := Document(Published(stored)); err != nil {
				t.Errorf("Document(stored): %v", err)
			}
			for _, k := range stored {
				if _, err := NewSigner(k, s, nil); err != nil {
					t.Errorf("NewSigner(stored %s key): %v", k.State, err)
				}
			}
		})
	}
}

func byKID(a, b storage.SigningKey) int { return cmp.Compare(a.KID, b.KID) }

func TestBootstrapErrors(t *testing.T) {
	ctx := context.Background()
	s := newTestSealer(t)
	tests := []struct {
		name       string
		store      *memKeys
		tenant     string
		alg        string
		wantErr    error
		wantStored int
	}{
		{"unknown tenant", newMemKeys("acme"), "nobody", ES256, storage.ErrNotFound, 0},
		{"unsupported alg", newMemKeys("acme"), "acme", "HS256", ErrUnsupportedAlg, 0},
		{"empty alg", newMemKeys("acme"), "acme", "", ErrUnsupportedAlg, 0},
		{"store fails on next key", func() *memKeys { m := newMemKeys("acme"); m.failAfter = 1; return m }(), "acme", ES256, errInjected, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (&Rotator{Store: tt.store, Sealer: s}).Bootstrap(ctx, tt.tenant, tt.alg, testNow)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Bootstrap(%q, %q) = %v; want %v", tt.tenant, tt.alg, err, tt.wantErr)
			}
			if got != nil {
				t.Errorf("Bootstrap returned %d keys with its error", len(got))
			}
			stored, _ := tt.store.ListKeys(ctx, tt.tenant)
			if len(stored) != tt.wantStored {
				t.Errorf("stored %d keys; want %d", len(stored), tt.wantStored)
			}
			// A partial bootstrap still leaves a tenant that can sign.
			if tt.wantStored == 1 {
				if k, err := Current(stored, storage.UseAccessToken); err != nil {
					t.Errorf("Current after partial bootstrap: %v", err)
				} else if _, err := NewSigner(k, s, nil); err != nil {
					t.Errorf("NewSigner after partial bootstrap: %v", err)
				}
			}
		})
	}
}
