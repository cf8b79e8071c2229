package storagetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

// RunKV runs the conformance suite for storage.KV. newKV returns the KV to
// test and advance, which moves the KV's clock forward; advance is nil for a
// KV whose clock the test cannot move (Workers KV), and then the expiry
// subtest is skipped with its reason.
func RunKV(t *testing.T, newKV func(t *testing.T) (kv storage.KV, advance func(time.Duration))) {
	ctx := context.Background()
	prefix := "storagetest/" + suffix() + "/"

	t.Run("RoundTrip", func(t *testing.T) {
		kv, _ := newKV(t)
		tests := []struct {
			name  string
			value []byte
		}{
			{"json", []byte(`{"client_id":"c1","scope":"openid"}`)},
			{"every byte value", allBytes()},
			{"the text <null>", []byte("<null>")},
			{"the text null", []byte("null")},
			{"64 KiB", randBytes(64 << 10)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				key := prefix + "rt/" + suffix()
				if err := kv.Put(ctx, key, tt.value, storage.MinKVTTL); err != nil {
					t.Fatalf("Put(%q) = %v; want nil", key, err)
				}
				got, err := kv.Get(ctx, key)
				if err != nil {
					t.Fatalf("Get(%q) = %v; want nil", key, err)
				}
				if diff := cmp.Diff(tt.value, got); diff != "" {
					t.Errorf("Get(%q) mismatch (-want +got):\n%s", key, diff)
				}
				checkErr(t, call("Delete", key), kv.Delete(ctx, key), nil)
			})
		}
		t.Run("empty value", func(t *testing.T) {
			key := prefix + "empty"
			if err := kv.Put(ctx, key, nil, storage.MinKVTTL); err != nil {
				t.Fatalf("Put(%q, nil) = %v; want nil", key, err)
			}
			got, err := kv.Get(ctx, key)
			if err != nil || len(got) != 0 {
				t.Errorf("Get(%q) = %q, %v; want empty, nil", key, got, err)
			}
		})
	})

	t.Run("OverwriteDelete", func(t *testing.T) {
		kv, _ := newKV(t)
		key := prefix + "ow"
		for _, v := range []string{"one", "two"} {
			if err := kv.Put(ctx, key, []byte(v), 2*storage.MinKVTTL); err != nil {
				t.Fatalf("Put(%q, %q) = %v; want nil", key, v, err)
			}
		}
		got, err := kv.Get(ctx, key)
		if err != nil || string(got) != "two" {
			t.Errorf("Get(%q) = %q, %v; want %q, nil", key, got, err, "two")
		}
		checkErr(t, call("Delete", key), kv.Delete(ctx, key), nil)
		_, err = kv.Get(ctx, key)
		checkErr(t, call("Get", key)+" after Delete", err, storage.ErrNotFound)
		checkErr(t, call("Delete", key)+" again", kv.Delete(ctx, key), nil)
		_, err = kv.Get(ctx, prefix+"never-written")
		checkErr(t, call("Get", prefix+"never-written"), err, storage.ErrNotFound)
	})

	t.Run("CopiesValues", func(t *testing.T) {
		kv, _ := newKV(t)
		key := prefix + "copy"
		v := []byte("abc")
		if err := kv.Put(ctx, key, v, storage.MinKVTTL); err != nil {
			t.Fatalf("Put(%q) = %v; want nil", key, err)
		}
		v[0] = 'X'
		got, err := kv.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get(%q) = %v; want nil", key, err)
		}
		got[1] = 'Y'
		again, err := kv.Get(ctx, key)
		if err != nil || string(again) != "abc" {
			t.Errorf("Get(%q) after mutating Put's and Get's slices = %q, %v; want %q, nil", key, again, err, "abc")
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		kv, _ := newKV(t)
		key := prefix + "invalid"
		tests := []struct {
			name string
			key  string
			ttl  time.Duration
		}{
			{"ttl below the minimum", key, storage.MinKVTTL - time.Second},
			{"zero ttl", key, 0},
			{"negative ttl", key, -time.Minute},
			{"empty key", "", storage.MinKVTTL},
			{"key over 512 bytes", prefix + strings.Repeat("k", 513), storage.MinKVTTL},
		}
		for _, tt := range tests {
			if err := kv.Put(ctx, tt.key, []byte("v"), tt.ttl); err == nil {
				t.Errorf("Put with %s (ttl %v) = nil; want an error", tt.name, tt.ttl)
			}
		}
		_, err := kv.Get(ctx, key)
		checkErr(t, call("Get", key)+" after rejected Puts", err, storage.ErrNotFound)
	})

	t.Run("Expiry", func(t *testing.T) {
		kv, advance := newKV(t)
		if advance == nil {
			t.Skip("this KV's clock cannot be moved and its shortest ttl is 60 s; expiry is checked against kv.Memory with a fake clock")
		}
		key, other := prefix+"exp", prefix+"exp-long"
		if err := kv.Put(ctx, key, []byte("v"), storage.MinKVTTL); err != nil {
			t.Fatalf("Put(%q) = %v; want nil", key, err)
		}
		if err := kv.Put(ctx, other, []byte("v"), 2*storage.MinKVTTL); err != nil {
			t.Fatalf("Put(%q) = %v; want nil", other, err)
		}
		advance(storage.MinKVTTL - time.Second)
		if _, err := kv.Get(ctx, key); err != nil {
			t.Errorf("Get(%q) 1 s before expiry = %v; want nil", key, err)
		}
		advance(time.Second)
		_, err := kv.Get(ctx, key)
		checkErr(t, call("Get", key)+" at expiry", err, storage.ErrNotFound)
		if _, err := kv.Get(ctx, other); err != nil {
			t.Errorf("Get(%q) before its own expiry = %v; want nil", other, err)
		}
		// A Put renews the expiry.
		if err := kv.Put(ctx, other, []byte("w"), 2*storage.MinKVTTL); err != nil {
			t.Fatalf("Put(%q) = %v; want nil", other, err)
		}
		advance(storage.MinKVTTL + time.Second)
		if got, err := kv.Get(ctx, other); err != nil || string(got) != "w" {
			t.Errorf("Get(%q) after renewing Put = %q, %v; want %q, nil", other, got, err, "w")
		}
	})
}
