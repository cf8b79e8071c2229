package admin

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/storage"
)

type auditEventJSON struct {
	ID      int64           `json:"id"`
	Tenant  string          `json:"tenant,omitempty"`
	Time    string          `json:"time"`
	Event   string          `json:"event"`
	Actor   string          `json:"actor,omitempty"`
	Subject string          `json:"subject,omitempty"`
	Detail  json.RawMessage `json:"detail,omitempty"`
	// Source and Count: an event of unauthenticated requests, counted per
	// client address and hour (time is its first).
	Source string `json:"source,omitempty"`
	Count  int64  `json:"count,omitempty"`
}

// ListAudit pages through the audit log, newest first:
//
//	GET /admin/v1/tenants/{T}/audit   one tenant's events
//	GET /admin/v1/audit               every event, including those of no tenant
//
// Query: event (exact name), since and until (RFC 3339; since inclusive,
// until exclusive), before (an event id: the page after it), limit (1-1000,
// default 100). The answer's next_before, when present, fetches the next
// page.
func (a *API) ListAudit(w http.ResponseWriter, r *http.Request) error {
	p, err := authz.QueryParams(r)
	if err != nil {
		return err
	}
	q := storage.AuditQuery{Event: p.Get("event")}
	if r.PathValue("tenant") != "" {
		t, err := a.tenant(r)
		if err != nil {
			return err
		}
		q.TenantID = t.ID
	}
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if v := p.Get(name); v != "" {
			if *dst, err = time.Parse(time.RFC3339, v); err != nil {
				return authz.Errorf(authz.CodeInvalidRequest, "%s must be an RFC 3339 time", name)
			}
		}
	}
	if v := p.Get("before"); v != "" {
		if q.BeforeID, err = strconv.ParseInt(v, 10, 64); err != nil || q.BeforeID < 1 {
			return authz.Errorf(authz.CodeInvalidRequest, "before must be a positive event id")
		}
	}
	if q.Limit, err = pageLimit(p); err != nil {
		return err
	}
	events, err := a.cfg.Store.ListAudit(r.Context(), q)
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
		if e.Source != "" {
			out.Events[i].Source, out.Events[i].Count = e.Source, e.Count
		}
		if e.Detail != "" && json.Valid([]byte(e.Detail)) {
			out.Events[i].Detail = json.RawMessage(e.Detail)
		}
	}
	if len(events) == q.Limit {
		out.NextBefore = events[len(events)-1].ID
	}
	authz.WriteJSON(w, http.StatusOK, out)
	return nil
}

// pageLimit reads a list's limit parameter: 1 to 1000, 100 when absent.
func pageLimit(p authz.Params) (int, error) {
	v := p.Get("limit")
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, authz.Errorf(authz.CodeInvalidRequest, "limit must be between 1 and 1000")
	}
	return n, nil
}
