package authz

import (
	"context"
	"encoding/json"

	"github.com/edgeauth/edgeauth/storage"
)

// audit appends an event to the tenant's audit log. It never holds a
// secret: actors and subjects are ids, detail is short JSON. A failure to
// write is logged and does not fail the request it describes.
func (s *Server) audit(ctx context.Context, tenant, event, actor, subject string, detail map[string]any) {
	s.appendEvent(ctx, s.auditEvent(tenant, event, actor, subject, detail))
}

// appendEvent appends e on its own; a failure is logged, not returned.
func (s *Server) appendEvent(ctx context.Context, e storage.AuditEvent) {
	if err := s.cfg.Store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		s.log.WarnContext(ctx, "audit write failed", "tenant", e.TenantID, "event", e.Event, "err", err)
	}
}

// auditEvent is the event audit appends, for a store call that writes it
// together with the change it describes.
func (s *Server) auditEvent(tenant, event, actor, subject string, detail map[string]any) storage.AuditEvent {
	var d []byte
	if len(detail) > 0 {
		d, _ = json.Marshal(detail)
	}
	return storage.AuditEvent{TenantID: tenant, Time: s.now(), Event: event, Actor: actor, Subject: subject, Detail: string(d)}
}
