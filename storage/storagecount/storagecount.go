package storagecount

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// Counts is a snapshot of the counters.
type Counts struct {
	D1Reads   int64 `json:"d1_reads"`
	D1Writes  int64 `json:"d1_writes"`
	KVGets    int64 `json:"kv_gets"`
	KVPuts    int64 `json:"kv_puts"`
	KVDeletes int64 `json:"kv_deletes"`
	// Calls counts each Store method by name ("GetTenant") and each KV
	// method as "KV.Get", "KV.Put", "KV.Delete".
	Calls map[string]int64 `json:"calls,omitempty"`
}

// D1 returns the D1 queries: reads plus writes.
func (c Counts) D1() int64 { return c.D1Reads + c.D1Writes }

// KV returns the KV operations: gets, puts and deletes.
func (c Counts) KV() int64 { return c.KVGets + c.KVPuts + c.KVDeletes }

// Sub returns c minus o, field by field; calls that end at zero are left
// out.
func (c Counts) Sub(o Counts) Counts {
	d := Counts{
		D1Reads: c.D1Reads - o.D1Reads, D1Writes: c.D1Writes - o.D1Writes,
		KVGets: c.KVGets - o.KVGets, KVPuts: c.KVPuts - o.KVPuts, KVDeletes: c.KVDeletes - o.KVDeletes,
		Calls: map[string]int64{},
	}
	for k, v := range c.Calls {
		if n := v - o.Calls[k]; n != 0 {
			d.Calls[k] = n
		}
	}
	for k, v := range o.Calls {
		if _, ok := c.Calls[k]; !ok && v != 0 {
			d.Calls[k] = -v
		}
	}
	return d
}

// CallNames returns the names in Calls, sorted.
func (c Counts) CallNames() []string {
	names := make([]string, 0, len(c.Calls))
	for k := range c.Calls {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Counter holds the counters that a Store and a KV share. The zero value
// is ready to use.
type Counter struct {
	d1Reads, d1Writes         atomic.Int64
	kvGets, kvPuts, kvDeletes atomic.Int64
	calls                     sync.Map // method name -> *atomic.Int64
}

func (c *Counter) call(name string) {
	v, ok := c.calls.Load(name)
	if !ok {
		v, _ = c.calls.LoadOrStore(name, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

func (c *Counter) read(name string)  { c.d1Reads.Add(1); c.call(name) }
func (c *Counter) write(name string) { c.d1Writes.Add(1); c.call(name) }

// Snapshot returns the counters now. Under concurrent calls it is not one
// instant, but every call that returned before Snapshot was called is in it.
func (c *Counter) Snapshot() Counts {
	s := Counts{
		D1Reads: c.d1Reads.Load(), D1Writes: c.d1Writes.Load(),
		KVGets: c.kvGets.Load(), KVPuts: c.kvPuts.Load(), KVDeletes: c.kvDeletes.Load(),
		Calls: map[string]int64{},
	}
	c.calls.Range(func(k, v any) bool {
		if n := v.(*atomic.Int64).Load(); n != 0 {
			s.Calls[k.(string)] = n
		}
		return true
	})
	return s
}

// Reset sets every counter to zero.
func (c *Counter) Reset() {
	c.d1Reads.Store(0)
	c.d1Writes.Store(0)
	c.kvGets.Store(0)
	c.kvPuts.Store(0)
	c.kvDeletes.Store(0)
	c.calls.Range(func(_, v any) bool {
		v.(*atomic.Int64).Store(0)
		return true
	})
}

// KV counts the calls of a storage.KV.
type KV struct {
	next storage.KV
	*Counter
}

var _ storage.KV = (*KV)(nil)

// NewKV wraps next, counting into c (a new Counter if c is nil).
func NewKV(next storage.KV, c *Counter) *KV {
	if c == nil {
		c = new(Counter)
	}
	return &KV{next: next, Counter: c}
}

// Get counts one KV get.
func (k *KV) Get(ctx context.Context, key string) ([]byte, error) {
	k.kvGets.Add(1)
	k.call("KV.Get")
	return k.next.Get(ctx, key)
}

// Put counts one KV put.
func (k *KV) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	k.kvPuts.Add(1)
	k.call("KV.Put")
	return k.next.Put(ctx, key, value, ttl)
}

// Delete counts one KV delete.
func (k *KV) Delete(ctx context.Context, key string) error {
	k.kvDeletes.Add(1)
	k.call("KV.Delete")
	return k.next.Delete(ctx, key)
}
