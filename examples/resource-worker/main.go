//go:build js && wasm

// Command resource-worker is an example API, a Go Worker protected by
// edgeauth's verify package, that fetches edgeauth's metadata and JWKS
// through a service binding (EDGEAUTH) instead of the public Internet.
//
// Routes:
//
//	GET /api/hello                      needs a token with scope "read";
//	                                    answers {"message","subject","client_id","tenant"}
//	GET {path of ProtectedResourceMetadataURL(AUDIENCE)}
//	                                    RFC 9728 metadata, e.g.
//	                                    /.well-known/oauth-protected-resource
//
// Vars: ISSUER (edgeauth's issuer of the tenant, e.g.
// https://auth.example.com/t/acme), AUDIENCE (this API's resource
// identifier, the aud its tokens carry), TENANT (optional, checked against
// the tenant claim) and EDGEAUTH_PASSTHROUGH ("1": every other request is
// forwarded to edgeauth over the binding, so that one origin serves both;
// the e2e test uses it to reach edgeauth, which has no port of its own in a
// multi-config wrangler dev). Build it with `make build-resource-worker`.
//
// It runs on edgeauth's Workers runtime, package cfworker (the pool of
// cfworker/worker.mjs and cfworker.Serve): main runs once per instance and
// its Verifier, with its key cache, lives as long as the instance. The
// binding itself belongs to each call (the pool sets env before every
// call), so the transport looks it up per request.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"

	"github.com/syumai/workers/cloudflare"
	"github.com/syumai/workers/cloudflare/fetch"

	"github.com/edgeauth/edgeauth/cfworker"
	"github.com/edgeauth/edgeauth/verify"
)

// binding is the name of the service binding to edgeauth.
const binding = "EDGEAUTH"

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	h, err := newHandler()
	if err != nil {
		log.Error("resource-worker is misconfigured", "err", err)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"error":"server_error","error_description":"the server is misconfigured; see its logs"}` + "\n"))
		})
	}
	cfworker.Serve(cfworker.Handlers{HTTP: h})
}

func newHandler() (http.Handler, error) {
	issuer, audience := cloudflare.Getenv("ISSUER"), cloudflare.Getenv("AUDIENCE")
	if issuer == "" || audience == "" {
		return nil, errors.New("the vars ISSUER and AUDIENCE are required")
	}
	metaURL, err := verify.ProtectedResourceMetadataURL(audience)
	if err != nil {
		return nil, err
	}
	v, err := verify.New(issuer, verify.Options{
		Audience:            audience,
		Tenant:              cloudflare.Getenv("TENANT"),
		HTTPClient:          bindingClient{name: binding},
		ResourceMetadataURL: metaURL,
	})
	if err != nil {
		return nil, err
	}
	prm, err := verify.ProtectedResourceHandler(verify.ProtectedResource{
		Resource:             audience,
		AuthorizationServers: []string{issuer},
		ScopesSupported:      []string{"read"},
		ResourceName:         "edgeauth resource-worker example",
	})
	if err != nil {
		return nil, err
	}
	mu, _ := url.Parse(metaURL)

	mux := http.NewServeMux()
	mux.Handle("GET "+mu.Path, prm)
	mux.Handle("GET /api/hello", v.Middleware(http.HandlerFunc(hello), "read"))
	if cloudflare.Getenv("EDGEAUTH_PASSTHROUGH") == "1" {
		mux.Handle("/", passthrough())
	} else {
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"not_found"}` + "\n"))
		})
	}
	return mux, nil
}

func hello(w http.ResponseWriter, r *http.Request) {
	c, _ := verify.FromContext(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]string{
		"message":   "hello",
		"subject":   c.Subject,
		"client_id": c.ClientID,
		"tenant":    c.Tenant,
	})
}

// bindingClient is verify's HTTPClient (a verify.Doer): it sends every
// request to the service binding of the current call. A binding's fetch
// ignores the URL's host, so the issuer's absolute URLs (metadata,
// jwks_uri) reach edgeauth whatever its origin. Redirects are not
// followed. Failures are logged (URLs and errors only). Not an
// *http.Client: that would link net/http's client, 4 MB of wasm.
type bindingClient struct{ name string }

func (t bindingClient) Do(r *http.Request) (*http.Response, error) {
	b := cloudflare.GetBinding(t.name)
	if b.IsUndefined() || b.IsNull() {
		return nil, fmt.Errorf("resource-worker: the service binding %s is missing", t.name)
	}
	// "manual": workerd refuses "error"; verify takes any status but 200,
	// a redirect included, as a failure.
	resp, err := fetch.NewClient(fetch.WithBinding(b)).HTTPClient(fetch.RedirectModeManual).Transport.RoundTrip(r)
	if err != nil {
		slog.Warn("fetch through the service binding failed", "binding", t.name, "url", r.URL.String(), "err", err)
	} else if resp.StatusCode != http.StatusOK {
		slog.Warn("fetch through the service binding", "binding", t.name, "url", r.URL.String(), "status", resp.StatusCode)
	}
	return resp, err
}

// passthrough forwards a request to edgeauth as it is and copies the
// answer back, redirects included.
func passthrough() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := cloudflare.GetBinding(binding)
		if b.IsUndefined() || b.IsNull() {
			http.Error(w, "no binding", http.StatusBadGateway)
			return
		}
		out := r.Clone(r.Context())
		out.RequestURI = ""
		if r.ContentLength == 0 {
			// syumai's fetch sends a non-nil Body, even http.NoBody, and
			// the runtime refuses a body on GET and HEAD.
			out.Body = nil
		}
		resp, err := fetch.NewClient(fetch.WithBinding(b)).HTTPClient(fetch.RedirectModeManual).Transport.RoundTrip(out)
		if err != nil {
			http.Error(w, "edgeauth unreachable", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
}
