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
	s.runBatch = func(_ context.Context, stmts []stmt) ([]result, error) { return d1Batch(binding, stmts) }
	return s, nil
}

// d1Batch runs stmts with D1's batch(): the binding is looked up per call,
// because the pool gives every request its own env.
func d1Batch(binding string, stmts []stmt) ([]result, error) {
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
	out := make([]result, res.Length())
	for i := range out {
		r := res.Index(i)
		out[i].changes = int64(r.Get("meta").Get("changes").Float())
		if i < len(stmts) && stmts[i].read() {
			rows, err := d1Rows(r.Get("results"))
			if err != nil {
				return nil, fmt.Errorf("statement %d: %w", i, err)
			}
			out[i].rows = rows
		}
	}
	return out, nil
}

// d1Rows converts the results of a read statement: one object per row
// whose keys are the column names in the SELECT's order (so a read must
// give its columns distinct names). Numbers are float64, as D1 gives them;
// a BLOB, an array of bytes, is a []byte.
func d1Rows(results js.Value) ([][]any, error) {
	if results.IsUndefined() || results.IsNull() {
		return nil, nil
	}
	values := js.Global().Get("Object").Get("values")
	rows := make([][]any, results.Length())
	for i := range rows {
		cols := values.Invoke(results.Index(i))
		row := make([]any, cols.Length())
		for j := range row {
			v := cols.Index(j)
			switch v.Type() {
			case js.TypeNull, js.TypeUndefined:
			case js.TypeNumber:
				row[j] = v.Float()
			case js.TypeString:
				row[j] = v.String()
			case js.TypeObject:
				row[j] = jsasync.GoBytes(js.Global().Get("Uint8Array").Call("from", v))
			default:
				return nil, fmt.Errorf("row %d, column %d: unexpected %s", i, j, v.Type())
			}
		}
		rows[i] = row
	}
	return rows, nil
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
