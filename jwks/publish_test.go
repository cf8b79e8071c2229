//go:build !js

package jwks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/edgeauth/edgeauth/storage/kv"
)

// heldKeys is a key store whose first ListKeys, once armed, returns what
// it read only when released: a reader that read the keys just before a
// change and writes after it.
type heldKeys struct {
	storage.SigningKeys
	read, release chan struct{}
}

func (h *heldKeys) ListKeys(ctx context.Context, tenant string) ([]storage.SigningKey, error) {
	keys, err := h.SigningKeys.ListKeys(ctx, tenant)
	if h.read != nil {
		read := h.read
		h.read = nil
		close(read)
		<-h.release
	}
	return keys, err
}

// TestBuildDoesNotUndoARevocation: a reader that rebuilds the document
// from keys read before a revocation, and puts it in KV after the
// revocation was published, does not leave the revoked key in KV.
func TestBuildDoesNotUndoARevocation(t *testing.T) {
	ctx := context.Background()
	store := newRotationStore(t, "acme")
	r := &Rotator{Store: store, Sealer: newTestSealer(t)}
	t0 := time.Now()
	if _, err := r.Bootstrap(ctx, "acme", ES256, t0); err != nil {
		t.Fatal(err)
	}
	keys, _ := store.ListKeys(ctx, "acme")
	cur, _ := Current(keys, storage.UseAccessToken)

	held := &heldKeys{SigningKeys: store, read: make(chan struct{}), release: make(chan struct{})}
	kvs := kv.NewMemory(time.Now)
	reader := &Publisher{Keys: held, KV: kvs}
	writer := &Publisher{Keys: store, KV: kvs}
	type built struct {
		d   Doc
		err error
	}
	done := make(chan built)
	go func() {
		d, err := reader.Build(ctx, "acme", time.Hour)
		done <- built{d, err}
	}()
	<-held.read // the reader has the keys as they were
	if err := r.Revoke(ctx, "acme", cur.KID, testPolicy, t0); err != nil {
		t.Fatal(err)
	}
	if err := writer.Publish(ctx, "acme", time.Hour); err != nil {
		t.Fatal(err)
	}
	close(held.release) // its put lands after the revocation's
	b := <-done
	if b.err != nil {
		t.Fatalf("Build = %v", b.err)
	}
	if strings.Contains(string(b.d.JSON), cur.KID) {
		t.Errorf("Build answered the revoked key %s", cur.KID)
	}
	if d, ok := writer.Lookup(ctx, "acme"); ok && strings.Contains(string(d.JSON), cur.KID) {
		t.Errorf("KV lists the revoked key %s after the late put", cur.KID)
	}
}
