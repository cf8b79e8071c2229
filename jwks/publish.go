package jwks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// Doc is a tenant's JWKS document as kept in KV under
// "jwks:<tenant>": the document served at /t/{T}/jwks.json and the
// max-age it is served with.
type Doc struct {
	JSON   json.RawMessage `json:"doc"`
	MaxAge int64           `json:"max_age"`
}

// Publisher keeps each tenant's JWKS document in KV, so that serving it
// reads no database. Every key change republishes it (Publish). KV is
// eventually consistent: other locations see a new document within about
// a minute, and never later than the document's own max-age, when the KV
// entry expires.
type Publisher struct {
	Keys   storage.SigningKeys
	KV     storage.KV
	Logger *slog.Logger
	// Changed, if set, is called once Publish has put a new document in
	// KV: a cache that answered the old one (the record cache's memos, the
	// Worker pool's reused answers) drops it.
	Changed func()
}

func kvKey(tenant string) string { return "jwks:" + tenant }

// Lookup returns the document KV holds for tenant, if any.
func (p *Publisher) Lookup(ctx context.Context, tenant string) (Doc, bool) {
	var d Doc
	b, err := p.KV.Get(ctx, kvKey(tenant))
	if err != nil || json.Unmarshal(b, &d) != nil || len(d.JSON) == 0 {
		return Doc{}, false
	}
	return d, true
}

// Publish rebuilds the tenant's document from its keys and puts it in KV,
// served with maxAge. It runs after every key change.
//
// A key change must not leave the old document in KV (after a revocation
// it lists the compromised key): if the put fails the entry is deleted, so
// the next read rebuilds it from the store, and if that fails too the
// error is returned.
func (p *Publisher) Publish(ctx context.Context, tenant string, maxAge time.Duration) error {
	// The key change bumped the record cache's generation when it reached
	// the store, but a read before the KV write can still have filled a
	// memo with the old document: tell the caches again once KV holds the
	// new one.
	if p.Changed != nil {
		defer p.Changed()
	}
	_, err := p.Build(ctx, tenant, maxAge)
	return err
}

// Build is Publish without telling the caches, for a reader that found no
// document in KV, which is no change. The document it returns is valid
// whenever it could be built, even with an error from KV.
//
// KV has no compare-and-set, so a put made from keys read before a key
// change could land after the change's own Publish and put a revoked key
// back for the entry's lifetime. So Build reads the keys again once its
// put is done: if they changed meanwhile it deletes the entry (the next
// read rebuilds it from the store) and returns the document of the keys
// as they are now. A change after that second read publishes after this
// put, and so has the last word.
func (p *Publisher) Build(ctx context.Context, tenant string, maxAge time.Duration) (Doc, error) {
	d, err := p.build(ctx, tenant, maxAge)
	if err != nil {
		return Doc{}, err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return Doc{}, err
	}
	if err := p.KV.Put(ctx, kvKey(tenant), b, max(maxAge, storage.MinKVTTL)); err != nil {
		p.Logger.WarnContext(ctx, "caching the JWKS in KV failed", "tenant", tenant, "err", err)
		return d, p.clear(ctx, tenant, err)
	}
	now, err := p.build(ctx, tenant, maxAge)
	if err != nil || bytes.Equal(now.JSON, d.JSON) {
		return d, nil // unchanged, or unknown: the put stands, as any put would
	}
	return now, p.clear(ctx, tenant, nil)
}

// build is the document of tenant's keys as the store has them now.
func (p *Publisher) build(ctx context.Context, tenant string, maxAge time.Duration) (Doc, error) {
	keys, err := p.Keys.ListKeys(ctx, tenant)
	if err != nil {
		return Doc{}, err
	}
	doc, err := Document(Published(keys))
	if err != nil {
		return Doc{}, err
	}
	return Doc{JSON: doc, MaxAge: int64(maxAge / time.Second)}, nil
}

// clear deletes tenant's entry, whose document is not (or may not be) the
// one the store's keys make; cause is why, if a failed put.
func (p *Publisher) clear(ctx context.Context, tenant string, cause error) error {
	if err := p.KV.Delete(ctx, kvKey(tenant)); err != nil {
		return fmt.Errorf("jwks: the JWKS of %s could be neither stored nor cleared in KV: %w", tenant, errors.Join(cause, err))
	}
	return nil
}

// Forget removes a deleted tenant's document from KV.
func (p *Publisher) Forget(ctx context.Context, tenant string) error {
	return p.KV.Delete(ctx, kvKey(tenant))
}
