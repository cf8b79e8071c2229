package expiring

import (
	"testing"
	"time"
)

func TestMap(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	m := New[string, int](3)

	m.Put("a", 1, now.Add(time.Minute), now)
	if v, ok := m.Get("a", now.Add(59*time.Second)); !ok || v != 1 {
		t.Errorf("Get before the end = %d, %v; want 1, true", v, ok)
	}
	if _, ok := m.Get("a", now.Add(time.Minute)); ok {
		t.Error("Get at the end found the entry; want it ended")
	}
	if _, ok := m.Get("missing", now); ok {
		t.Error("Get of a missing key found something")
	}

	m.Put("dead", 9, now, now)
	if _, ok := m.Get("dead", now.Add(-time.Second)); ok || m.Len() != 1 {
		t.Errorf("a value ended at Put was kept (Len %d)", m.Len())
	}

	// Full: the ended entries go first.
	m.Put("b", 2, now.Add(time.Second), now)
	m.Put("c", 3, now.Add(time.Hour), now)
	later := now.Add(2 * time.Second)
	m.Put("d", 4, later.Add(time.Hour), later)
	if _, ok := m.Get("c", later); !ok {
		t.Error("a live entry went while ended ones were there to drop")
	}
	if m.Len() != 3 || func() bool { _, ok := m.Get("d", later); return !ok }() {
		t.Errorf("after dropping the ended: Len %d; want 3 with d kept", m.Len())
	}

	// Replacing a key of a full map drops nothing.
	m.Put("c", 30, later.Add(time.Hour), later)
	if v, _ := m.Get("c", later); v != 30 || m.Len() != 3 {
		t.Errorf("replacing c: value %d, Len %d; want 30, 3", v, m.Len())
	}

	// Full and nothing ended: everything goes, so the bound holds.
	m.Put("e", 5, later.Add(time.Hour), later)
	if m.Len() != 1 {
		t.Errorf("Len %d after a Put into a full map of live entries; want 1", m.Len())
	}
	if v, ok := m.Get("e", later); !ok || v != 5 {
		t.Errorf("Get(e) = %d, %v; want 5, true", v, ok)
	}
}
