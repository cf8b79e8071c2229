package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/edgeauth/edgeauth/storage"
)

// Bounds of what one event holds. Values that come from a request (a
// route, a client id) are cut and cleaned to these, so no request can make
// an event large.
const (
	maxName   = 128  // bytes of Actor and Subject
	maxDetail = 1024 // bytes of Detail's JSON
)

// Unauthenticated events are counted per source and window, not appended
// one by one (Log.Count): at most UnauthenticatedSources addresses get a
// row of their own per event and tenant in each UnauthenticatedWindow, and
// the others share one. With the 90-day retention that bounds the rows an
// event of unauthenticated requests can add, whatever the requests.
const (
	UnauthenticatedWindow  = time.Hour
	UnauthenticatedSources = 100
)

// Log appends audit events.
type Log struct {
	Store storage.Audit
	// Now is the clock; events are stamped to the second in UTC.
	Now    func() time.Time
	Logger *slog.Logger
}

// Record appends an event of tenant ("" for none) on its own.
func (l *Log) Record(ctx context.Context, tenant, event, actor, subject string, detail map[string]any) {
	l.Append(ctx, l.Event(tenant, event, actor, subject, detail))
}

// Append appends e; a failure is logged, not returned. It runs detached
// from the request's cancellation: a client that went away does not lose
// the record of what it did.
func (l *Log) Append(ctx context.Context, e storage.AuditEvent) {
	if err := l.Store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		l.Logger.WarnContext(ctx, "audit write failed", "tenant", e.TenantID, "event", e.Event, "err", err)
	}
}

// Count records an event of an unauthenticated request from source (the
// client's address as a rate-limit key): one event per source and window,
// whose count grows (storage.Audit.CountAudit). A failure is logged, not
// returned.
func (l *Log) Count(ctx context.Context, e storage.AuditEvent, source string) {
	t := storage.Tally{Source: clean(source), Window: UnauthenticatedWindow, MaxSources: UnauthenticatedSources}
	if t.Source == "" || t.Source == "*" {
		t.Source = "unknown"
	}
	if err := l.Store.CountAudit(context.WithoutCancel(ctx), e, t); err != nil {
		l.Logger.WarnContext(ctx, "audit write failed", "tenant", e.TenantID, "event", e.Event, "err", err)
	}
}

// Event is the event Record appends, for a store call that writes it
// together with the change it describes. Actor and subject are cut to
// maxName bytes and cleaned of control and invisible characters; a detail
// whose JSON is longer than maxDetail bytes is replaced by a note saying
// so.
func (l *Log) Event(tenant, event, actor, subject string, detail map[string]any) storage.AuditEvent {
	var d []byte
	if len(detail) > 0 {
		d, _ = json.Marshal(detail)
		if len(d) > maxDetail {
			d, _ = json.Marshal(map[string]any{"truncated": true, "bytes": len(d)})
		}
	}
	return storage.AuditEvent{TenantID: tenant, Time: l.Now().UTC().Truncate(time.Second), Event: event,
		Actor: clean(actor), Subject: clean(subject), Detail: string(d)}
}

// clean cuts s to maxName bytes, at a character boundary, and replaces
// what a reader of the log could not see or would misread (control,
// format and invalid characters) with "?".
func clean(s string) string {
	if len(s) > maxName {
		s = s[:maxName]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return '?'
		}
		return r
	}, s)
}
