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
	var d []byte
	if len(detail) > 0 {
		d, _ = json.Marshal(detail)
	}
	err := s.cfg.Store.AppendAudit(context.WithoutCancel(ctx), storage.AuditEvent{
		TenantID: tenant, Time: s.now(), Event: event, Actor: actor, Subject: subject, Detail: string(d),
	})
	if err != nil {
		s.log.WarnContext(ctx, "audit write failed", "tenant", tenant, "event", event, "err", err)
	}
}
