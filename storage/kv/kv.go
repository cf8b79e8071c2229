package kv

import (
	"fmt"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// MaxKeyLen is the longest key Workers KV accepts, in bytes.
const MaxKeyLen = 512

// checkKey rejects keys Workers KV would reject.
func checkKey(op, key string) error {
	if key == "" {
		return fmt.Errorf("kv: %s: empty key", op)
	}
	if len(key) > MaxKeyLen {
		return fmt.Errorf("kv: %s: key is %d bytes, longer than %d", op, len(key), MaxKeyLen)
	}
	return nil
}

// checkTTL rejects expiries shorter than Workers KV's minimum.
func checkTTL(ttl time.Duration) error {
	if ttl < storage.MinKVTTL {
		return fmt.Errorf("kv: put: ttl %v is below the minimum %v", ttl, storage.MinKVTTL)
	}
	return nil
}
