package kvrecord

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
)

// Key is the KV key of the record of kind under secret s.
func Key(kind, s string) string {
	return kind + ":" + hex.EncodeToString(secret.Hash(s))
}

// Put stores v as JSON under Key(kind, s) for ttl.
func Put(ctx context.Context, kv storage.KV, kind, s string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("kvrecord: encoding %s record: %w", kind, err)
	}
	return kv.Put(ctx, Key(kind, s), b, ttl)
}

// Get loads the record of kind under s into v. A missing record is
// storage.ErrNotFound.
func Get(ctx context.Context, kv storage.KV, kind, s string, v any) error {
	b, err := kv.Get(ctx, Key(kind, s))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("kvrecord: decoding %s record: %w", kind, err)
	}
	return nil
}

// Delete removes a record. Deleting an absent one is not an error; the
// caller logs a failure rather than failing, since every record also
// expires by itself.
func Delete(ctx context.Context, kv storage.KV, kind, s string) error {
	if err := kv.Delete(ctx, Key(kind, s)); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return nil
}
