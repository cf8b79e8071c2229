package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/edgeauth/edgeauth/storage"
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

// Event is the event Record appends, for a store call that writes it
// together with the change it describes.
func (l *Log) Event(tenant, event, actor, subject string, detail map[string]any) storage.AuditEvent {
	var d []byte
	if len(detail) > 0 {
		d, _ = json.Marshal(detail)
	}
	return storage.AuditEvent{TenantID: tenant, Time: l.Now().UTC().Truncate(time.Second), Event: event, Actor: actor, Subject: subject, Detail: string(d)}
}
