package pages

import (
	"html"
	"net/http"
	"strings"
)

// pageHeaders are sent with every HTML page. The CSP allows no script at
// all, only the page's own inline style and https images (a client's
// logo); form-action is left open because a form's answer redirects to the
// client's redirect URI, and Chromium applies form-action to that
// redirect. With no-referrer, a logo's host learns nothing of the page.
var pageHeaders = map[string]string{
	"Content-Type":            "text/html; charset=utf-8",
	"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src https:; frame-ancestors 'none'; base-uri 'none'",
	"X-Frame-Options":         "DENY",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "no-referrer",
	"Cache-Control":           "no-store",
}

const pageStyle = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#1c1e21;margin:0}
main{max-width:24rem;margin:4rem auto;background:#fff;border-radius:.5rem;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.25rem;margin:0 0 1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #c4c7cc;border-radius:.25rem;font-size:1rem}
button{margin-top:1.25rem;padding:.6rem 1rem;border:0;border-radius:.25rem;font-size:1rem;cursor:pointer;background:#0b5cff;color:#fff}
button.secondary{background:#e4e6eb;color:#1c1e21}
.error{background:#fdecea;color:#8a1c13;padding:.5rem .75rem;border-radius:.25rem}
.muted{color:#606770;font-size:.9rem}
ul{padding-left:1.25rem}
img.logo{display:block;max-width:4rem;max-height:4rem;margin:0 0 1rem}
.code{font-family:ui-monospace,monospace;letter-spacing:.1em}
input.code{text-transform:uppercase}
`

// page builds one HTML document. raw takes markup constants only; text
// takes any value and escapes it.
type page struct{ b strings.Builder }

func newPage(title string) *page {
	p := &page{}
	p.textIn(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>`, title, "</title>\n<style>\n"+pageStyle+"</style>\n</head>\n<body>\n<main>\n")
	return p
}

func (p *page) raw(markup string) { p.b.WriteString(markup) }

func (p *page) text(v string) { p.b.WriteString(html.EscapeString(v)) }

// textIn writes the markup before, v escaped, and the markup after.
func (p *page) textIn(before, v, after string) {
	p.raw(before)
	p.text(v)
	p.raw(after)
}

// form opens a POST form to action carrying the pending request's id and
// CSRF token.
func (p *page) form(action, requestID, csrf string) {
	p.textIn(`<form method="post" action="`, action, "\">\n")
	p.textIn(`<input type="hidden" name="req" value="`, requestID, "\">\n")
	p.textIn(`<input type="hidden" name="csrf" value="`, csrf, "\">\n")
}

func (p *page) bytes() []byte {
	p.raw("</main>\n</body>\n</html>\n")
	return []byte(p.b.String())
}

// Login is the sign-in page of a pending request: the password form,
// and a button per upstream provider. Every page that signs users in
// renders it, so that each offers the same ways in.
type Login struct {
	Title, TenantName, ClientName, Message, Username string
	Action, RequestID, CSRF                          string
	// Upstreams are the upstream providers offered: buttons of one form
	// that posts RequestID, CSRF and connection (the button's ID) to
	// UpstreamAction. None are shown without UpstreamAction.
	Upstreams      []Upstream
	UpstreamAction string
	// NoPassword leaves the password form out: the tenant signs users in
	// through its upstream providers only.
	NoPassword bool
}

// Upstream is one upstream provider's button: "Continue with Name".
type Upstream struct{ ID, Name string }

// HTML renders the page.
func (d Login) HTML() []byte {
	p := newPage(d.Title)
	p.textIn("<h1>Sign in to ", d.TenantName, "</h1>\n")
	p.textIn(`<p class="muted">`, d.ClientName, " wants to access your account.</p>\n")
	if d.Message != "" {
		p.textIn(`<p class="error" role="alert">`, d.Message, "</p>\n")
	}
	upstreams := d.UpstreamAction != "" && len(d.Upstreams) > 0
	if !d.NoPassword {
		p.form(d.Action, d.RequestID, d.CSRF)
		p.textIn(`<label for="username">Username</label>
<input type="text" id="username" name="username" value="`, d.Username, `" autocomplete="username" autocapitalize="none" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
`)
		if upstreams {
			p.raw("<p class=\"muted\">or</p>\n")
		}
	}
	if upstreams {
		p.form(d.UpstreamAction, d.RequestID, d.CSRF)
		for _, u := range d.Upstreams {
			p.textIn(`<button type="submit" name="connection" value="`, u.ID, `" class="secondary">`)
			p.textIn("Continue with ", u.Name, "</button>\n")
		}
		p.raw("</form>\n")
	}
	if d.NoPassword && !upstreams {
		p.raw("<p class=\"error\">No way to sign in is available here. Ask an administrator.</p>\n")
	}
	return p.bytes()
}

// Scope is a scope as the consent page lists it: what it allows in words
// (Description, "" when nobody said) and its name.
type Scope struct {
	Name, Description string
}

// Consent asks the user to allow a client what it asks for.
type Consent struct {
	Title, TenantName, ClientName, Username string
	Scopes                                  []Scope
	Resources                               []string
	// LogoURI, PolicyURI and TOSURI come from the client's metadata; the
	// page shows only https ones (httpsURL).
	LogoURI, PolicyURI, TOSURI string
	Action, RequestID, CSRF    string
	// UserID is the user the page asks, sent back with the decision: a
	// decision for a page shown to another user is not taken.
	UserID string
	// RedirectHost is where the browser goes afterwards; ClientHost, for a
	// metadata-document client, the host its details come from.
	RedirectHost, ClientHost string
	// Unverified: the client registered itself (its name is its own
	// choice).
	Unverified bool
	// UserCode, for a device's request (RFC 8628), is the code the device
	// shows, for the user to compare; such a page has no RedirectHost.
	UserCode string
}

// HTML renders the page.
func (d Consent) HTML() []byte {
	p := newPage(d.Title)
	if httpsURL(d.LogoURI) {
		p.textIn(`<img class="logo" alt="" src="`, d.LogoURI, "\">\n")
	}
	p.textIn("<h1>Allow ", d.ClientName, "?</h1>\n")
	p.textIn("<p>", d.ClientName, " asks for access to your ")
	p.textIn("", d.TenantName, " account")
	if d.Username != "" {
		p.textIn(" (", d.Username, ")")
	}
	p.raw(":</p>\n")
	if len(d.Scopes) > 0 {
		p.raw("<ul>")
		for _, s := range d.Scopes {
			if s.Description == "" {
				p.textIn("<li>", s.Name, "</li>")
				continue
			}
			p.textIn("<li>", s.Description, "")
			p.textIn(` <span class="muted">(`, s.Name, ")</span></li>")
		}
		p.raw("</ul>\n")
	} else {
		p.raw("<p class=\"muted\">No specific permissions: it learns who you are.</p>\n")
	}
	if len(d.Resources) > 0 {
		p.textIn(`<p class="muted">For use at: `, strings.Join(d.Resources, ", "), "</p>\n")
	}
	if d.Unverified {
		p.raw(`<p class="error">This application registered itself: its name is not verified.`)
		if d.ClientHost != "" {
			p.textIn(" Its details come from ", d.ClientHost, ".")
		}
		p.raw("</p>\n")
	}
	p.links(d.PolicyURI, d.TOSURI)
	if d.UserCode != "" {
		// RFC 8628 §5.4: a user sent a code by someone else must see that
		// this is a device's request, and which.
		p.textIn(`<p class="error">Allow only if you started this on your own device and it shows the code <strong class="code">`, d.UserCode, "</strong>.</p>\n")
	} else {
		p.textIn(`<p class="muted">Afterwards you go back to `, d.RedirectHost, ".</p>\n")
	}
	p.form(d.Action, d.RequestID, d.CSRF)
	p.textIn(`<input type="hidden" name="user" value="`, d.UserID, "\">\n")
	p.raw(`<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>
`)
	return p.bytes()
}

// Logout asks the signed-in user to confirm signing out: shown when the
// request does not prove which application sent it (OIDC RP-Initiated
// Logout 1.0 §2, the OP MUST ask).
type Logout struct {
	Title, TenantName, Username string
	// ClientName is the application that asked, "" when none is known.
	ClientName              string
	Action, RequestID, CSRF string
}

// HTML renders the page.
func (d Logout) HTML() []byte {
	p := newPage(d.Title)
	p.textIn("<h1>Sign out of ", d.TenantName, "?</h1>\n")
	p.textIn("<p>You are signed in as ", d.Username, ".")
	if d.ClientName != "" {
		p.textIn(" ", d.ClientName, " asks you to sign out.")
	}
	p.raw("</p>\n<p class=\"muted\">Signing out ends this session and what the applications you allowed in it may still do. If you did not ask for it, close this page.</p>\n")
	p.form(d.Action, d.RequestID, d.CSRF)
	p.raw(`<button type="submit" name="decision" value="logout">Sign out</button>
</form>
`)
	return p.bytes()
}

// SignedOut tells the user the sign-out is done (or that there was no
// session to end).
type SignedOut struct {
	Title, TenantName, Message string
}

// HTML renders the page.
func (d SignedOut) HTML() []byte {
	p := newPage(d.Title)
	p.textIn("<h1>", d.Title, "</h1>\n")
	p.textIn("<p>", d.Message, "</p>\n")
	p.textIn(`<p class="muted">`, d.TenantName, ": you can close this page.</p>\n")
	return p.bytes()
}

// links writes the links to a client's privacy policy and terms of
// service, those that are https.
func (p *page) links(policy, tos string) {
	var links [][2]string
	if httpsURL(policy) {
		links = append(links, [2]string{policy, "Privacy policy"})
	}
	if httpsURL(tos) {
		links = append(links, [2]string{tos, "Terms of service"})
	}
	if len(links) == 0 {
		return
	}
	p.raw(`<p class="muted">`)
	for i, l := range links {
		if i > 0 {
			p.raw(" · ")
		}
		p.textIn(`<a rel="noopener noreferrer" target="_blank" href="`, l[0], `">`+l[1]+"</a>")
	}
	p.raw("</p>\n")
}

// httpsURL reports whether u may be a page's link or image source: an
// https URL. Together with escaping (the value stays inside its quoted
// attribute) this keeps every other scheme (javascript:, data:) off the
// page whatever the stored value.
func httpsURL(u string) bool { return strings.HasPrefix(u, "https://") && len(u) > len("https://") }

// Error tells the user why the request cannot go on; its code is the
// OAuth error code.
type Error struct {
	Title, Message string
	Code           string
	// BackAction and BackRequestID, when set, offer a way back to the
	// sign-in page of the pending request: a form that GETs BackAction
	// with req=BackRequestID.
	BackAction, BackRequestID string
}

// HTML renders the page.
func (d Error) HTML() []byte {
	p := newPage(d.Title)
	p.textIn("<h1>", d.Title, "</h1>\n")
	p.textIn(`<p class="error" role="alert">`, d.Message, "</p>\n")
	if d.BackAction != "" {
		p.textIn(`<p class="muted">Error code: `, d.Code, ".</p>\n")
		p.textIn(`<form method="get" action="`, d.BackAction, "\">\n")
		p.textIn(`<input type="hidden" name="req" value="`, d.BackRequestID, "\">\n")
		p.raw("<button type=\"submit\">Back to sign-in</button>\n</form>\n")
		return p.bytes()
	}
	p.textIn(`<p class="muted">Error code: `, d.Code, ". Go back to the application and start again.</p>\n")
	return p.bytes()
}

// Write writes an HTML page with the headers every page carries
// (pageHeaders): no script at all, no framing, no caching, no referrer.
func Write(w http.ResponseWriter, code int, body []byte) {
	for k, v := range pageHeaders {
		w.Header().Set(k, v)
	}
	w.WriteHeader(code)
	w.Write(body)
}
