package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
)

// Every event is bounded, whatever a request puts into it.
func TestEventBounds(t *testing.T) {
	l := &Log{Now: time.Now}
	long := "/admin/v1/tenants/" + strings.Repeat("w", 1_000_000)
	e := l.Event("", "admin.auth_failed", "é"+strings.Repeat("a", 200), long+"\n\x1b[31m", map[string]any{"path": long})
	if len(e.Actor) > maxName || len(e.Subject) > maxName {
		t.Errorf("actor %d and subject %d bytes; want at most %d", len(e.Actor), len(e.Subject), maxName)
	}
	if len(e.Detail) > maxDetail || !json.Valid([]byte(e.Detail)) || !strings.Contains(e.Detail, "truncated") {
		t.Errorf("detail %d bytes %.80q; want valid JSON of at most %d bytes that says it was truncated", len(e.Detail), e.Detail, maxDetail)
	}
	if got := l.Event("", "x", "", "a\nb\u202ec\x00", nil).Subject; got != "a?b?c?" {
		t.Errorf("subject %q; want control and format characters replaced: %q", got, "a?b?c?")
	}
	if got := clean("é" + strings.Repeat("a", maxName)); len(got) > maxName || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("clean cut inside a character: %q", got)
	}
}

type tallies struct {
	storage.Audit
	got []storage.Tally
}

func (s *tallies) CountAudit(_ context.Context, _ storage.AuditEvent, t storage.Tally) error {
	s.got = append(s.got, t)
	return nil
}

// Count counts per source and window, with the cap, and never under "*".
func TestCount(t *testing.T) {
	st := &tallies{}
	l := &Log{Store: st, Now: time.Now, Logger: slog.New(slog.DiscardHandler)}
	for _, src := range []string{"192.0.2.1", "*", ""} {
		l.Count(context.Background(), l.Event("", "admin.auth_failed", "", "", nil), src)
	}
	want := []string{"192.0.2.1", "unknown", "unknown"}
	for i, tl := range st.got {
		if tl.Source != want[i] || tl.Window != UnauthenticatedWindow || tl.MaxSources != UnauthenticatedSources {
			t.Errorf("tally %d = %+v; want source %q, window %v, at most %d sources", i, tl, want[i], UnauthenticatedWindow, UnauthenticatedSources)
		}
	}
}
