package cron

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/edgeauth/edgeauth/audit"
	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/storage"
)

// DefaultAuditRetention is how long audit events are kept when
// Job.AuditRetention is zero.
const DefaultAuditRetention = 90 * 24 * time.Hour

// Job is the scheduled job.
type Job struct {
	// Store is read past any record cache: the rotation reads, decides
	// and writes.
	Store  storage.Store
	Keys   *jwks.Publisher
	Sealer *jwks.Sealer
	Rand   io.Reader
	Audit  *audit.Log
	// AuditRetention is how long audit events are kept; zero means
	// DefaultAuditRetention.
	AuditRetention time.Duration
	// LockoutWindow is how long a streak of failed sign-ins lasts
	// (authflow.LockoutWindow): older ones are pruned.
	LockoutWindow time.Duration
	Now           func() time.Time
	Logger        *slog.Logger
}

// Run runs the job once; the errors of every part are joined.
func (j *Job) Run(ctx context.Context) error {
	now := j.Now().UTC().Truncate(time.Second)
	retention := j.AuditRetention
	if retention <= 0 {
		retention = DefaultAuditRetention
	}
	var errs []error
	if n, err := j.Store.PruneAudit(ctx, now.Add(-retention)); err != nil {
		errs = append(errs, fmt.Errorf("pruning the audit log: %w", err))
	} else if n > 0 {
		j.Logger.InfoContext(ctx, "pruned audit events", "count", n)
	}
	if r, f, err := j.Store.PruneExpired(ctx, now); err != nil {
		errs = append(errs, fmt.Errorf("pruning expired code redemptions and refresh families: %w", err))
	} else if r+f > 0 {
		j.Logger.InfoContext(ctx, "pruned expired rows", "redemptions", r, "refresh_families", f)
	}
	if n, err := j.Store.PruneSessions(ctx, now); err != nil {
		errs = append(errs, fmt.Errorf("pruning expired sessions: %w", err))
	} else if n > 0 {
		j.Logger.InfoContext(ctx, "pruned expired sessions", "count", n)
	}
	if n, err := j.Store.PruneLoginFailures(ctx, now.Add(-j.LockoutWindow)); err != nil {
		errs = append(errs, fmt.Errorf("pruning ended sign-in failure streaks: %w", err))
	} else if n > 0 {
		j.Logger.InfoContext(ctx, "pruned ended sign-in failure streaks", "count", n)
	}
	if n, err := j.Store.PruneDeviceAuthorizations(ctx, now); err != nil {
		errs = append(errs, fmt.Errorf("pruning expired device authorizations: %w", err))
	} else if n > 0 {
		j.Logger.InfoContext(ctx, "pruned expired device authorizations", "count", n)
	}
	// Upstream tokens a connection asked to keep go when they expire.
	if n, err := j.Store.PruneIdentityTokens(ctx, now); err != nil {
		errs = append(errs, fmt.Errorf("pruning expired upstream tokens: %w", err))
	} else if n > 0 {
		j.Logger.InfoContext(ctx, "pruned expired upstream tokens", "count", n)
	}
	return errors.Join(append(errs, j.rotate(ctx, now))...)
}

// rotate advances the key schedule of every tenant, a page at a time.
func (j *Job) rotate(ctx context.Context, now time.Time) error {
	rot := &jwks.Rotator{Store: j.Store, Sealer: j.Sealer, Rand: j.Rand}
	var errs []error
	after := ""
	for {
		page, err := j.Store.ListTenants(ctx, after, 100)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, t := range page {
			p := authz.KeyPolicy(t)
			changed, err := rot.Advance(ctx, t.ID, p, now)
			if changed {
				// Published even when a later step failed: a next key made
				// before the failure must reach the JWKS now, since its
				// promotion counts from its creation.
				j.Audit.Record(ctx, t.ID, "keys.advanced", "cron", t.ID, nil)
				err = errors.Join(err, j.Keys.Publish(ctx, t.ID, p.CacheLifetime()))
			}
			if err != nil {
				j.Logger.ErrorContext(ctx, "key rotation failed", "tenant", t.ID, "err", err)
				errs = append(errs, fmt.Errorf("tenant %s: %w", t.ID, err))
			}
		}
		if len(page) < 100 {
			return errors.Join(errs...)
		}
		after = page[len(page)-1].ID
	}
}
