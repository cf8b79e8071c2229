package pages

import (
	"html"
	"strings"
	"testing"
)

// Every value on a page is escaped: with hostile values in every field the
// page has exactly the markup characters it has with plain values, and
// each hostile value appears escaped, never raw.
func TestPagesEscapeEveryValue(t *testing.T) {
	const evil = `x"><script>alert('1')</script><a href='javascript:alert(1)'>&amp;`
	plain := func(field string) string { return "plain-" + field }
	hostile := func(field string) string { return field + evil }
	pages := map[string]func(v func(string) string) []byte{
		"login": func(v func(string) string) []byte {
			return Login{Title: v("title"), TenantName: v("tenant"), ClientName: v("client"), Message: v("message"),
				Username: v("username"), Action: v("action"), RequestID: v("req"), CSRF: v("csrf"),
				Upstreams:      []Upstream{{ID: v("up1"), Name: v("upname1")}, {ID: v("up2"), Name: v("upname2")}},
				UpstreamAction: v("upaction")}.HTML()
		},
		"login without passwords": func(v func(string) string) []byte {
			return Login{Title: v("title"), TenantName: v("tenant"), ClientName: v("client"), Message: v("message"),
				RequestID: v("req"), CSRF: v("csrf"), NoPassword: true,
				Upstreams: []Upstream{{ID: v("up1"), Name: v("upname1")}}, UpstreamAction: v("upaction")}.HTML()
		},
		"consent": func(v func(string) string) []byte {
			return Consent{Title: v("title"), TenantName: v("tenant"), ClientName: v("client"), Username: v("username"),
				Scopes: []string{v("scope1"), v("scope2")}, Resources: []string{v("res1"), v("res2")},
				Action: v("action"), RequestID: v("req"), CSRF: v("csrf"), UserID: v("user"),
				RedirectHost: v("redirect"), ClientHost: v("clienthost"), Unverified: true}.HTML()
		},
		"error": func(v func(string) string) []byte {
			return Error{Title: v("title"), Message: v("message"), Code: v("code")}.HTML()
		},
		"error with a way back": func(v func(string) string) []byte {
			return Error{Title: v("title"), Message: v("message"), Code: v("code"), BackAction: v("back"), BackRequestID: v("req")}.HTML()
		},
	}
	for name, render := range pages {
		ok, bad := string(render(plain)), string(render(hostile))
		for _, c := range []string{"<", ">", `"`, "'"} {
			if strings.Count(ok, c) != strings.Count(bad, c) {
				t.Errorf("%s page: %d %q with plain values, %d with hostile ones", name, strings.Count(ok, c), c, strings.Count(bad, c))
			}
		}
		if strings.Contains(bad, evil) {
			t.Errorf("%s page: a value appears unescaped", name)
		}
		if !strings.Contains(bad, html.EscapeString(evil)) {
			t.Errorf("%s page: the escaped value is missing", name)
		}
		if !strings.HasPrefix(ok, "<!doctype html>") || !strings.HasSuffix(ok, "</html>\n") {
			t.Errorf("%s page is not a whole document", name)
		}
	}
}
