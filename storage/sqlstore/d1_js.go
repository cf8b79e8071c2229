//go:build js && wasm

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/edgeauth/edgeauth/internal/jsasync"

	"github.com/syumai/workers/cloudflare"
	"github.com/syumai/workers/cloudflare/d1"
)

// NewD1 returns a Store over the D1 database bound as binding. Single
// statements go through syumai/workers' database/sql driver; batches
// (several writes that must apply together) go to D1's batch API, one
// round trip that D1 runs as a transaction.
func NewD1(binding string) (*Store, error) {
	conn, err := d1.OpenConnector(binding)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: D1 binding %q: %w", binding, err)
	}
	s := New(sql.OpenDB(conn))
	s.runBatch = func(_ context.Context, stmts []stmt) ([]int64, error) { return d1Batch(binding, stmts) }
	return s, nil
}

// d1Batch runs stmts with D1's batch(): the binding is looked up per call,
// because the pool gives every request its own env.
func d1Batch(binding string, stmts []stmt) ([]int64, error) {
	db := cloudflare.GetBinding(binding)
	if db.IsUndefined() {
		return nil, fmt.Errorf("D1 binding %q is missing", binding)
	}
	prepared := make([]any, len(stmts))
	for i, st := range stmts {
		args := make([]any, len(st.args))
		for j, a := range st.args {
			v, err := d1Value(a)
			if err != nil {
				return nil, fmt.Errorf("statement %d, argument %d: %w", i, j, err)
			}
			args[j] = v
		}
		prepared[i] = db.Call("prepare", st.query).Call("bind", args...)
	}
	res, err := jsasync.Await(db.Call("batch", js.ValueOf(prepared)))
	if err != nil {
		return nil, err
	}
	n := make([]int64, res.Length())
	for i := range n {
		n[i] = int64(res.Index(i).Get("meta").Get("changes").Float())
	}
	return n, nil
}

// d1Value converts an argument the way syumai's driver does: bytes become
// a Uint8Array (a BLOB), nil becomes null.
func d1Value(a any) (any, error) {
	switch v := a.(type) {
	case nil:
		return js.Null(), nil
	case string, int64, int, float64:
		return v, nil
	case []byte:
		return jsasync.Bytes(v), nil
	}
	return nil, errors.New("unsupported type")
}
