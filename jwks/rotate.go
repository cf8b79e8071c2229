package jwks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// Policy is a tenant's rotation schedule.
type Policy struct {
	// Alg is the algorithm of new access-token keys. ID-token keys are
	// always RS256.
	Alg string
	// Period is how long a key signs before the next one takes over.
	Period time.Duration
	// MaxTokenLifetime is the longest lifetime of any token a key signs
	// (access and ID tokens). A retired key stays published that long plus
	// one cache lifetime, so no valid token loses its key.
	MaxTokenLifetime time.Duration
}

// CacheLifetime is the JWKS max-age under p: see CacheMaxAge.
func (p Policy) CacheLifetime() time.Duration { return CacheMaxAge(p.Period) }

// Rotator moves a tenant's keys through next -> current -> retired -> gone
// (DESIGN.md, Keys). Every transition is one compare-and-set in storage, so
// rotations running at the same time (two cron invocations, a cron and an
// admin call) never lose a key and end with one current key per use: the
// loser of a compare-and-set stops, and the one-next-key index decides
// between two creators of a next key.
type Rotator struct {
	Store  storage.SigningKeys
	Sealer *Sealer
	Rand   io.Reader
}

// Advance applies the schedule at now, for both uses, and reports whether
// any key changed (so the caller can refresh cached JWKS documents):
//
//   - more than one current key (a rotation interrupted between its two
//     statements): all but the newest are retired;
//   - no current key: the next key is promoted, or a current key made;
//   - the current key has signed for Period and the next key has been
//     published for two cache lifetimes: the next key is promoted and the
//     old one retired;
//   - no next key: one is made, published from now on;
//   - a retired key whose tokens have all expired, plus one cache lifetime:
//     deleted.
func (r *Rotator) Advance(ctx context.Context, tenant string, p Policy, now time.Time) (bool, error) {
	var changed bool
	for _, use := range []storage.KeyUse{storage.UseAccessToken, storage.UseIDToken} {
		c, err := r.advance(ctx, tenant, use, p, now, false)
		if err != nil {
			return changed, err
		}
		changed = changed || c
	}
	return changed, nil
}

// RotateNow promotes the published next access-token key at once (without
// waiting two cache lifetimes: verifiers refetch on its unknown kid),
// retires the current one and makes a new next key.
func (r *Rotator) RotateNow(ctx context.Context, tenant string, p Policy, now time.Time) error {
	_, err := r.advance(ctx, tenant, storage.UseAccessToken, p, now, true)
	return err
}

// Revoke deletes key kid at once: it leaves the JWKS and the tokens it
// signed stop verifying against it. If it was signing, the next key takes
// over immediately (or a new current key is made) and a new next key is
// made. A kid that is not there is ErrNotFound, after the schedule of both
// uses is brought back in order: a revocation that failed after deleting
// the key and is retried must not leave the tenant without a signing key
// until the next scheduled run.
func (r *Rotator) Revoke(ctx context.Context, tenant, kid string, p Policy, now time.Time) error {
	keys, err := r.Store.ListKeys(ctx, tenant)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(keys, func(k storage.SigningKey) bool { return k.KID == kid })
	if i < 0 {
		if _, err := r.Advance(ctx, tenant, p, now); err != nil {
			return err
		}
		return fmt.Errorf("jwks: revoke %q: %w", kid, storage.ErrNotFound)
	}
	if err := r.Store.DeleteKey(ctx, tenant, kid); err != nil {
		return err
	}
	_, err = r.advance(ctx, tenant, keys[i].Use, p, now, false)
	return err
}

func (r *Rotator) advance(ctx context.Context, tenant string, use storage.KeyUse, p Policy, now time.Time, force bool) (bool, error) {
	all, err := r.Store.ListKeys(ctx, tenant)
	if err != nil {
		return false, err
	}
	var current []storage.SigningKey
	var next, newest *storage.SigningKey
	var retired []storage.SigningKey
	for _, k := range all {
		if k.Use != use {
			continue
		}
		switch k.State {
		case storage.KeyCurrent:
			current = append(current, k)
		case storage.KeyNext:
			next = &k
		case storage.KeyRetired:
			retired = append(retired, k)
		}
	}
	if c, err := Current(current, use); err == nil {
		newest = &c
	}
	alg := p.Alg
	if use == storage.UseIDToken {
		alg = RS256
	}
	c := &change{r: r, tenant: tenant, use: use, alg: alg, now: now}
	// Heal an interrupted rotation: one current key per use.
	for _, k := range current {
		if k.KID == newest.KID {
			continue
		}
		if err := c.cas(ctx, k.KID, storage.KeyCurrent, storage.KeyRetired); err != nil {
			return c.changed, err
		}
	}

	cache := p.CacheLifetime()
	switch {
	case newest == nil && next != nil:
		// Nothing signs: the published next key takes over at once.
		if err := c.cas(ctx, next.KID, storage.KeyNext, storage.KeyCurrent); errors.Is(err, storage.ErrConflict) {
			return c.changed, nil // another rotation got there first
		} else if err != nil {
			return c.changed, err
		}
		next = nil
	case newest == nil:
		if err := c.create(ctx, storage.KeyCurrent); err != nil {
			return c.changed, err
		}
	case next != nil && (force || !now.Before(newest.ActivatedAt.Add(p.Period)) && !now.Before(next.CreatedAt.Add(2*cache))):
		if err := c.cas(ctx, next.KID, storage.KeyNext, storage.KeyCurrent); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return c.changed, nil // another rotation got there first
			}
			return c.changed, err
		}
		next = nil
		if err := c.cas(ctx, newest.KID, storage.KeyCurrent, storage.KeyRetired); err != nil {
			return c.changed, err
		}
	}
	if next == nil {
		if err := c.create(ctx, storage.KeyNext); err != nil {
			return c.changed, err
		}
	}
	// Gone: every token the key signed has expired, and every cached JWKS
	// that held it has too.
	for _, k := range retired {
		if now.Before(k.RetiredAt.Add(p.MaxTokenLifetime + cache)) {
			continue
		}
		switch err := r.Store.DeleteKey(ctx, tenant, k.KID); {
		case err == nil:
			c.changed = true
		case !errors.Is(err, storage.ErrNotFound):
			return c.changed, err
		}
	}
	if c.changed {
		if err := c.ensureSigning(ctx); err != nil {
			return c.changed, err
		}
	}
	return c.changed, nil
}

// change is one rotation's work on the keys of one use of one tenant: what
// it makes them, when, and whether it has changed any yet.
type change struct {
	r       *Rotator
	tenant  string
	use     storage.KeyUse
	alg     string // of the keys it makes
	now     time.Time
	changed bool
}

// ensureSigning checks, after a change, that a key of use still signs,
// and promotes the next key (making one first if needed) when none does.
// Why: a rotation running at the same time whose view was taken between
// another's promotion and retirement heals "two current keys" by keeping
// the newest, and keys promoted within the same second tie and are told
// apart by kid, so it can retire the key just promoted while the other
// retires the old one. Whoever changes keys looks last; the one-next-key
// rule and the compare-and-set keep this from making two signing keys.
func (c *change) ensureSigning(ctx context.Context) error {
	for range 3 {
		keys, err := c.r.Store.ListKeys(ctx, c.tenant)
		if err != nil {
			return err
		}
		var next *storage.SigningKey
		for _, k := range keys {
			switch {
			case k.Use != c.use:
			case k.State == storage.KeyCurrent:
				return nil
			case k.State == storage.KeyNext:
				next = &k
			}
		}
		if next == nil {
			if err := c.create(ctx, storage.KeyNext); err != nil {
				return err
			}
			continue
		}
		switch err := c.cas(ctx, next.KID, storage.KeyNext, storage.KeyCurrent); {
		case errors.Is(err, storage.ErrConflict), errors.Is(err, storage.ErrNotFound):
			continue // someone else promoted or revoked it: look again
		case err != nil:
			return err
		}
		return c.create(ctx, storage.KeyNext)
	}
	return nil
}

// cas runs one state transition. A lost compare-and-set of a healing or
// retiring step is not an error: another rotation did it.
func (c *change) cas(ctx context.Context, kid string, from, to storage.KeyState) error {
	err := c.r.Store.SetKeyState(ctx, c.tenant, kid, from, to, c.now)
	switch {
	case err == nil:
		c.changed = true
		return nil
	case from == storage.KeyNext:
		return err // the caller decides what a lost promotion means
	case errors.Is(err, storage.ErrConflict), errors.Is(err, storage.ErrNotFound):
		return nil
	}
	return err
}

// create makes and stores a key. A next key that lost the race against
// another creator (storage's one-next-key rule) is not an error.
func (c *change) create(ctx context.Context, state storage.KeyState) error {
	k, err := Generate(c.r.Rand, c.r.Sealer, storage.SigningKey{TenantID: c.tenant, Alg: c.alg, Use: c.use, State: state, CreatedAt: c.now})
	if err != nil {
		return err
	}
	switch err := c.r.Store.CreateKey(ctx, k); {
	case err == nil:
		c.changed = true
		return nil
	case state == storage.KeyNext && errors.Is(err, storage.ErrAlreadyExists):
		return nil
	default:
		return fmt.Errorf("jwks: store %s %s key of %q: %w", state, c.use, c.tenant, err)
	}
}
