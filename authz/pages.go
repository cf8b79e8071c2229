package authz

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the HTML pages: login, consent and the error page. html/template
// escapes every value by context.
var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// pageHeaders are sent with every HTML page. The CSP allows no script at
// all, only the page's own inline style; form-action is left open because
// a form's answer redirects to the client's redirect URI, and Chromium
// applies form-action to that redirect.
var pageHeaders = map[string]string{
	"Content-Type":            "text/html; charset=utf-8",
	"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
	"X-Frame-Options":         "DENY",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "no-referrer",
	"Cache-Control":           "no-store",
}

// renderPage writes an HTML page. The template runs into a buffer first,
// so a template failure is a server_error, never half a page.
func (s *Server) renderPage(w http.ResponseWriter, code int, name string, data any) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	for k, v := range pageHeaders {
		w.Header().Set(k, v)
	}
	w.WriteHeader(code)
	w.Write(buf.Bytes())
	return nil
}

type errorPage struct {
	Title, Message string
	Code           ErrorCode
}

// writeErrorPage renders err as the HTML error page: used where redirecting
// the error is not safe (unknown client, unregistered redirect URI) and on
// the login and consent pages.
func (s *Server) writeErrorPage(w http.ResponseWriter, r *http.Request, err error) {
	e := s.asError(r, err)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterHeader(e.RetryAfter))
	}
	if err := s.renderPage(w, status(e.Code), "error.html", errorPage{Title: "Sign-in failed", Message: e.Description, Code: e.Code}); err != nil {
		s.log.ErrorContext(r.Context(), "rendering the error page", "err", err)
		http.Error(w, "server error", http.StatusInternalServerError)
	}
}

// page adapts a handler of an HTML endpoint: its errors become the HTML
// error page.
func (s *Server) page(h handlerFunc) http.Handler {
	return s.recoverer(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeErrorPage(w, r, err)
		}
	}, s.writeErrorPage)
}
