//go:build js && wasm

package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"syscall/js"

	"github.com/edgeauth/edgeauth/internal/jsasync"

	"github.com/syumai/workers/cloudflare"
)

// NewD1 returns a Store over the D1 database bound as binding. Single
// statements go through d1Conn, a database/sql driver over the binding's
// prepare().bind().run() and raw(); batches (several writes that must
// apply together) go to D1's batch API, one round trip that D1 runs as a
// transaction. Every promise is awaited through jsasync.Await, which
// leaves nothing behind (syumai/workers' own D1 driver leaks one js.Func
// per query, v0.32.0).
func NewD1(binding string) (*Store, error) {
	if db := cloudflare.GetBinding(binding); db.IsUndefined() || db.IsNull() {
		return nil, fmt.Errorf("sqlstore: D1 binding %q is missing", binding)
	}
	s := New(sql.OpenDB(d1Connector{binding}))
	s.runBatch = func(_ context.Context, stmts []stmt) ([]result, error) { return d1Batch(binding, stmts) }
	return s, nil
}

// d1DB is the binding, looked up per call, because the pool gives every
// request its own env.
func d1DB(binding string) (js.Value, error) {
	db := cloudflare.GetBinding(binding)
	if db.IsUndefined() || db.IsNull() {
		return js.Value{}, fmt.Errorf("D1 binding %q is missing", binding)
	}
	return db, nil
}

// d1Batch runs stmts with D1's batch().
func d1Batch(binding string, stmts []stmt) ([]result, error) {
	db, err := d1DB(binding)
	if err != nil {
		return nil, err
	}
	prepared := make([]any, len(stmts))
	for i, st := range stmts {
		if prepared[i], err = d1Prepare(db, st.query, st.args); err != nil {
			return nil, fmt.Errorf("statement %d: %w", i, err)
		}
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
			// A batch's rows are objects keyed by column name, in the
			// SELECT's order (so a read must give its columns distinct
			// names).
			results := r.Get("results")
			values := js.Global().Get("Object").Get("values")
			for j := range results.Length() {
				row, err := d1Row(values.Invoke(results.Index(j)))
				if err != nil {
					return nil, fmt.Errorf("statement %d: %w", i, err)
				}
				out[i].rows = append(out[i].rows, row)
			}
		}
	}
	return out, nil
}

// d1Prepare is db.prepare(query).bind(args...), its arguments converted:
// bytes become a Uint8Array (a BLOB), nil becomes null.
func d1Prepare(db js.Value, query string, args []any) (js.Value, error) {
	vals := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case nil:
			vals[i] = js.Null()
		case string, int64, int, float64:
			vals[i] = v
		case bool:
			vals[i] = boolInt(v)
		case []byte:
			vals[i] = jsasync.Bytes(v)
		default:
			return js.Value{}, fmt.Errorf("argument %d: unsupported type %T", i, a)
		}
	}
	return db.Call("prepare", query).Call("bind", vals...), nil
}

// d1Row converts one row, an array of column values: integral numbers
// become int64 (D1 gives every number as a JavaScript number), a BLOB (an
// array of bytes or an ArrayBuffer) a []byte.
func d1Row(cols js.Value) ([]any, error) {
	row := make([]any, cols.Length())
	for j := range row {
		v := cols.Index(j)
		switch v.Type() {
		case js.TypeNull, js.TypeUndefined:
		case js.TypeNumber:
			f := v.Float()
			if f == math.Trunc(f) && !math.IsInf(f, 0) {
				row[j] = int64(f)
			} else {
				row[j] = f
			}
		case js.TypeString:
			row[j] = v.String()
		case js.TypeObject:
			row[j] = jsasync.GoBytes(js.Global().Get("Uint8Array").New(v))
		default:
			return nil, fmt.Errorf("column %d: unexpected %s", j, v.Type())
		}
	}
	return row, nil
}

// d1Connector, d1Conn and d1Rows are a database/sql driver for single
// statements on the binding. There are no transactions (D1 has none
// outside batch()) and no prepared statements kept: a statement is
// prepared, bound and run in one call.
type d1Connector struct{ binding string }

func (c d1Connector) Connect(context.Context) (driver.Conn, error) { return d1Conn(c), nil }
func (c d1Connector) Driver() driver.Driver                        { return d1Driver{} }

type d1Driver struct{}

func (d1Driver) Open(binding string) (driver.Conn, error) { return d1Conn{binding}, nil }

type d1Conn struct{ binding string }

var (
	_ driver.ExecerContext  = d1Conn{}
	_ driver.QueryerContext = d1Conn{}
)

func (c d1Conn) Prepare(query string) (driver.Stmt, error) { return d1Stmt{c, query}, nil }
func (d1Conn) Close() error                                { return nil }
func (d1Conn) Begin() (driver.Tx, error) {
	return nil, errors.New("sqlstore: D1 has no transactions outside batch()")
}

func (c d1Conn) ExecContext(_ context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	p, err := c.prepare(query, args)
	if err != nil {
		return nil, err
	}
	res, err := jsasync.Await(p.Call("run"))
	if err != nil {
		return nil, err
	}
	meta := res.Get("meta")
	return d1Result{changes: int64(meta.Get("changes").Float()), lastID: int64(meta.Get("last_row_id").Float())}, nil
}

func (c d1Conn) QueryContext(_ context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	p, err := c.prepare(query, args)
	if err != nil {
		return nil, err
	}
	// raw with the column names first: one array per row.
	res, err := jsasync.Await(p.Call("raw", map[string]any{"columnNames": true}))
	if err != nil {
		return nil, err
	}
	r := &d1Rows{all: res, n: res.Length()}
	if r.n > 0 {
		names := res.Index(0)
		r.cols = make([]string, names.Length())
		for i := range r.cols {
			r.cols[i] = names.Index(i).String()
		}
		r.next = 1
	}
	return r, nil
}

func (c d1Conn) prepare(query string, args []driver.NamedValue) (js.Value, error) {
	db, err := d1DB(c.binding)
	if err != nil {
		return js.Value{}, err
	}
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a.Value
	}
	return d1Prepare(db, query, vals)
}

// d1Stmt is a statement database/sql asked to prepare; it runs through
// its connection.
type d1Stmt struct {
	c     d1Conn
	query string
}

func (s d1Stmt) Close() error  { return nil }
func (s d1Stmt) NumInput() int { return -1 }
func (s d1Stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.c.ExecContext(context.Background(), s.query, named(args))
}
func (s d1Stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.c.QueryContext(context.Background(), s.query, named(args))
}

func named(args []driver.Value) []driver.NamedValue {
	n := make([]driver.NamedValue, len(args))
	for i, a := range args {
		n[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return n
}

type d1Result struct{ changes, lastID int64 }

func (r d1Result) LastInsertId() (int64, error) { return r.lastID, nil }
func (r d1Result) RowsAffected() (int64, error) { return r.changes, nil }

// d1Rows are the rows of raw({columnNames: true}): the names, then one
// array per row.
type d1Rows struct {
	all     js.Value
	cols    []string
	next, n int
}

func (r *d1Rows) Columns() []string { return r.cols }
func (r *d1Rows) Close() error      { return nil }

func (r *d1Rows) Next(dest []driver.Value) error {
	if r.next >= r.n {
		return io.EOF
	}
	row, err := d1Row(r.all.Index(r.next))
	if err != nil {
		return err
	}
	r.next++
	for i := range dest {
		if i < len(row) {
			dest[i] = row[i]
		}
	}
	return nil
}
