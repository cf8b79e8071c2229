package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// stmt is one statement of a batch.
type stmt struct {
	query string
	args  []any
}

// batchFunc runs stmts in order as one atomic unit and returns how many
// rows each changed. A statement that fails undoes the ones before it and
// ends the batch with that statement's error.
type batchFunc func(ctx context.Context, stmts []stmt) ([]int64, error)

// batch runs stmts as one unit: all of them apply or none. On D1 it is one
// round trip (D1's batch, which runs as a transaction; see NewD1);
// elsewhere a database/sql transaction.
func (s *Store) batch(ctx context.Context, op string, stmts ...stmt) ([]int64, error) {
	run := s.runBatch
	if run == nil {
		run = s.txBatch
	}
	n, err := run(ctx, stmts)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	if len(n) != len(stmts) {
		return nil, fmt.Errorf("sqlstore: %s: batch of %d statements reported %d results", op, len(stmts), len(n))
	}
	return n, nil
}

// txBatch is batchFunc over a database/sql transaction.
func (s *Store) txBatch(ctx context.Context, stmts []stmt) ([]int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	n, err := execAll(ctx, tx, stmts)
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return n, tx.Commit()
}

func execAll(ctx context.Context, tx *sql.Tx, stmts []stmt) ([]int64, error) {
	n := make([]int64, len(stmts))
	for i, st := range stmts {
		res, err := tx.ExecContext(ctx, st.query, st.args...)
		if err != nil {
			return nil, err
		}
		if n[i], err = res.RowsAffected(); err != nil {
			return nil, err
		}
	}
	return n, nil
}
