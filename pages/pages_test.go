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
				Scopes:    []Scope{{Name: v("scope1"), Description: v("desc1")}, {Name: v("scope2")}},
				Resources: []string{v("res1"), v("res2")},
				// URLs are shown only when https: these are, hostile or not.
				LogoURI: "https://" + v("logo"), PolicyURI: "https://" + v("policy"), TOSURI: "https://" + v("tos"),
				Action: v("action"), RequestID: v("req"), CSRF: v("csrf"), UserID: v("user"),
				RedirectHost: v("redirect"), ClientHost: v("clienthost"), Unverified: true}.HTML()
		},
		"logout": func(v func(string) string) []byte {
			return Logout{Title: v("title"), TenantName: v("tenant"), Username: v("username"), ClientName: v("client"),
				Action: v("action"), RequestID: v("req"), CSRF: v("csrf")}.HTML()
		},
		"signed out": func(v func(string) string) []byte {
			return SignedOut{Title: v("title"), TenantName: v("tenant"), Message: v("message")}.HTML()
		},
		"device consent": func(v func(string) string) []byte {
			return Consent{Title: v("title"), TenantName: v("tenant"), ClientName: v("client"), Username: v("username"),
				Scopes: []Scope{{Name: v("scope1"), Description: v("desc1")}}, Resources: []string{v("res1")},
				Action: v("action"), RequestID: v("req"), CSRF: v("csrf"), UserID: v("user"), UserCode: v("usercode")}.HTML()
		},
		"device code": func(v func(string) string) []byte {
			return DeviceCode{Title: v("title"), TenantName: v("tenant"), UserCode: v("usercode"), Message: v("message"), Action: v("action")}.HTML()
		},
		"notice": func(v func(string) string) []byte {
			return Notice{Title: v("title"), Heading: v("heading"), Message: v("message"), Error: true}.HTML()
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
		// Every hostile value is on the page, escaped: none was dropped
		// (which would hide it from the checks above).
		for _, field := range fieldsIn(ok) {
			if !strings.Contains(bad, html.EscapeString(hostile(field))) {
				t.Errorf("%s page: the value of %s is missing", name, field)
			}
		}
		if !strings.Contains(bad, html.EscapeString(evil)) {
			t.Errorf("%s page: the escaped value is missing", name)
		}
		if !strings.HasPrefix(ok, "<!doctype html>") || !strings.HasSuffix(ok, "</html>\n") {
			t.Errorf("%s page is not a whole document", name)
		}
	}
}

// fieldsIn returns the field names of the plain values on a page ("plain-"
// followed by the name).
func fieldsIn(page string) []string {
	var out []string
	for _, part := range strings.Split(page, "plain-")[1:] {
		end := strings.IndexFunc(part, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') })
		if end < 0 {
			end = len(part)
		}
		out = append(out, part[:end])
	}
	return out
}

// A client's logo and links appear only when they are https: any other
// scheme (javascript:, data:, http:) never reaches an attribute.
func TestPagesShowOnlyHTTPSURLs(t *testing.T) {
	for _, u := range []string{"javascript:alert(1)", "data:image/png;base64,AAAA", "http://app.example/logo.png", "HTTPS://app.example/x", "https://"} {
		page := string(Consent{LogoURI: u, PolicyURI: u, TOSURI: u}.HTML())
		if strings.Contains(page, "<img") || strings.Contains(page, "<a ") {
			t.Errorf("Consent with URLs %q shows an image or a link:\n%s", u, page)
		}
	}
	page := string(Consent{LogoURI: "https://app.example/logo.png", PolicyURI: "https://app.example/privacy", TOSURI: "https://app.example/terms"}.HTML())
	for _, want := range []string{`src="https://app.example/logo.png"`, `href="https://app.example/privacy"`, `href="https://app.example/terms"`} {
		if !strings.Contains(page, want) {
			t.Errorf("Consent with https URLs lacks %s:\n%s", want, page)
		}
	}
}
