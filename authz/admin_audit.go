package authz

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// DefaultAuditRetention is how long audit events are kept when
// Config.AuditRetention is zero; the scheduled job prunes older ones.
const DefaultAuditRetention = 90 * 24 * time.Hour

type auditEventJSON struct {
	ID      int64           `json:"id"`
	Tenant  string          `json:"tenant,omitempty"`
	Time    string          `json:"time"`
	Event   string          `json:"event"`
	Actor   string          `json:"actor,omitempty"`
	Subject string          `json:"subject,omitempty"`
	Detail  json.RawMessage `json:"detail,omitempty"`
}

// listAudit pages through the audit log, newest first:
//
//	GET /admin/v1/tenants/{T}/audit   one tenant's events
//	GET /admin/v1/audit               every event, including those of no tenant
//
// Query: event (exact name), since and until (RFC 3339; since inclusive,
// until exclusive), before (an event id: the page after it), limit (1-1000,
// default 100). The answer's next_before, when present, fetches the next
// page.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	p, err := queryParams(r)
	if err != nil {
		return err
	}
	q := storage.AuditQuery{Event: p.get("event"), Limit: 100}
	if r.PathValue("tenant") != "" {
		t, err := s.tenant(r.Context(), r)
		if err != nil {
			return err
		}
		q.TenantID = t.ID
	}
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if v := p.get(name); v != "" {
			if *dst, err = time.Parse(time.RFC3339, v); err != nil {
				return errorf(CodeInvalidRequest, "%s must be an RFC 3339 time", name)
			}
		}
	}
	if v := p.get("before"); v != "" {
		if q.BeforeID, err = strconv.ParseInt(v, 10, 64); err != nil || q.BeforeID < 1 {
			return errorf(CodeInvalidRequest, "before must be a positive event id")
		}
	}
	if v := p.get("limit"); v != "" {
		if q.Limit, err = strconv.Atoi(v); err != nil || q.Limit < 1 || q.Limit > 1000 {
			return errorf(CodeInvalidRequest, "limit must be between 1 and 1000")
		}
	}
	events, err := s.cfg.Store.ListAudit(r.Context(), q)
	if err != nil {
		return err
	}
	out := struct {
		Events     []auditEventJSON `json:"events"`
		NextBefore int64            `json:"next_before,omitempty"`
	}{Events: make([]auditEventJSON, len(events))}
	for i, e := range events {
		out.Events[i] = auditEventJSON{ID: e.ID, Tenant: e.TenantID, Time: e.Time.UTC().Format(time.RFC3339),
			Event: e.Event, Actor: e.Actor, Subject: e.Subject}
		if e.Detail != "" && json.Valid([]byte(e.Detail)) {
			out.Events[i].Detail = json.RawMessage(e.Detail)
		}
	}
	if len(events) == q.Limit {
		out.NextBefore = events[len(events)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
