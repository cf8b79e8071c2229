package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// stmt is one statement of a batch. A read (its query begins with SELECT)
// returns rows; the others report how many rows they changed.
type stmt struct {
	query string
	args  []any
}

func (st stmt) read() bool { return strings.HasPrefix(strings.TrimSpace(st.query), "SELECT") }

// result is what one statement of a batch did: the rows it changed, and
// the rows a read statement returned, each as its column values in order
// (nil, int64, float64, string or []byte).
type result struct {
	changes int64
	rows    [][]any
}

// batchFunc runs stmts in order as one atomic unit. A statement that fails
// undoes the ones before it and ends the batch with that statement's
// error.
type batchFunc func(ctx context.Context, stmts []stmt) ([]result, error)

// batch runs stmts as one unit: all of them apply or none. On D1 it is one
// round trip (D1's batch, which runs as a transaction; see NewD1);
// elsewhere a database/sql transaction. It returns how many rows each
// statement changed.
func (s *conn) batch(ctx context.Context, op string, stmts ...stmt) ([]int64, error) {
	res, err := s.batchResults(ctx, op, stmts...)
	if err != nil {
		return nil, err
	}
	n := make([]int64, len(res))
	for i, r := range res {
		n[i] = r.changes
	}
	return n, nil
}

// batchResults is batch, with the rows of its read statements: a batch
// that writes and reads back what it wrote in the same round trip.
func (s *conn) batchResults(ctx context.Context, op string, stmts ...stmt) ([]result, error) {
	run := s.runBatch
	if run == nil {
		run = s.txBatch
	}
	res, err := run(ctx, stmts)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	if len(res) != len(stmts) {
		return nil, fmt.Errorf("sqlstore: %s: batch of %d statements reported %d results", op, len(stmts), len(res))
	}
	return res, nil
}

// txBatch is batchFunc over a database/sql transaction.
func (s *conn) txBatch(ctx context.Context, stmts []stmt) ([]result, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	res, err := runAll(ctx, tx, stmts)
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return res, tx.Commit()
}

func runAll(ctx context.Context, tx *sql.Tx, stmts []stmt) ([]result, error) {
	res := make([]result, len(stmts))
	for i, st := range stmts {
		if st.read() {
			rows, err := readAll(ctx, tx, st)
			if err != nil {
				return nil, err
			}
			res[i].rows = rows
			continue
		}
		r, err := tx.ExecContext(ctx, st.query, st.args...)
		if err != nil {
			return nil, err
		}
		if res[i].changes, err = r.RowsAffected(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func readAll(ctx context.Context, tx *sql.Tx, st stmt) ([][]any, error) {
	rows, err := tx.QueryContext(ctx, st.query, st.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

// scanValues stores vals, one row of a read statement, in dest the way
// database/sql's Scan would, for the destination types the store's reads
// use: *sql.NullString, *sql.NullInt64, *string, *int64 and *[]byte. D1
// gives every number as a float64.
func scanValues(vals []any, dest ...any) error {
	if len(vals) != len(dest) {
		return fmt.Errorf("%d columns, %d destinations", len(vals), len(dest))
	}
	for i, v := range vals {
		if err := scanValue(v, dest[i]); err != nil {
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return nil
}

func scanValue(v, dest any) error {
	n, isNum := v.(int64)
	if f, ok := v.(float64); ok {
		n, isNum = int64(f), float64(int64(f)) == f
	}
	switch d := dest.(type) {
	case *sql.NullString:
		s, ok := v.(string)
		if v != nil && !ok {
			return fmt.Errorf("%T is not a string", v)
		}
		*d = sql.NullString{String: s, Valid: ok}
	case *string:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%T is not a string", v)
		}
		*d = s
	case *sql.NullInt64:
		if v != nil && !isNum {
			return fmt.Errorf("%T %v is not an integer", v, v)
		}
		*d = sql.NullInt64{Int64: n, Valid: v != nil}
	case *int64:
		if !isNum {
			return fmt.Errorf("%T %v is not an integer", v, v)
		}
		*d = n
	case *[]byte:
		switch b := v.(type) {
		case nil:
			*d = nil
		case []byte:
			*d = append([]byte(nil), b...)
		default:
			return fmt.Errorf("%T is not bytes", v)
		}
	default:
		return fmt.Errorf("unsupported destination %T", dest)
	}
	return nil
}
