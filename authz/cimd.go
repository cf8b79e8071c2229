package authz

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/edgeauth/edgeauth/internal/netcheck"
	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/storage"
)

// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-
// document): a client whose client_id is an https URL publishes its
// metadata there. edgeauth fetches the document on first use, keeps the
// client as a row like any other (so grants and consents refer to it), and
// fetches it again when the row is older than cimdRefresh.
//
// SSRF defences: https only (http on loopback only when the server itself
// runs on loopback, for development), no IP literals of private, loopback
// or link-local ranges and no "localhost" outside development, no
// redirects, a 5-second timeout and a 5 KiB size limit. The native
// server's HTTP client also refuses to dial non-public addresses after DNS
// (internal/safehttp); in a Worker, Cloudflare's fetch cannot reach
// private networks.
const (
	cimdRefresh     = time.Hour
	cimdMaxBytes    = 5 << 10
	cimdTimeout     = 5 * time.Second
	cimdKeep        = 5 * time.Minute // a fetched document, in memory
	cimdKeepFailure = time.Minute     // a failed fetch, in memory
	cimdKeepMax     = 1000            // documents and failures kept
)

// fetchedDoc is a metadata document's client, or the failure to fetch
// it, as Server.fetched keeps it: the login and consent pages of one
// sign-in read the client again, and a failing URL is not fetched again on
// every request.
type fetchedDoc struct {
	c   storage.Client
	err error
}

// IsURLClientID tells a metadata-document client_id from a registered one:
// registered ids cannot contain ':'.
func IsURLClientID(id string) bool {
	return strings.HasPrefix(id, "https://") || strings.HasPrefix(id, "http://")
}

// devMode is true when the server itself runs on a loopback http origin.
func (s *Server) devMode() bool { return strings.HasPrefix(s.cfg.BaseURL, "http://") }

// LookupClient returns a registered client, or the client of a metadata
// document when the tenant allows them. An unknown client is
// storage.ErrNotFound either way, and so is a metadata-document client
// stored while the tenant allowed them, once it no longer does.
//
// A metadata-document client is read from its stored row while that is
// younger than cimdRefresh; otherwise its document is fetched, at most
// cimdFetches times a minute per tenant and client address (429 past that)
// and kept in memory (cimdKeep, failures cimdKeepFailure), and a stored row
// is refreshed. A client that has no row yet gets none here: anyone can
// send a client_id, so a row is written only once a user has approved the
// client (StoreClient), and no request by itself adds one.
func (s *Server) LookupClient(ctx context.Context, t storage.Tenant, id string) (storage.Client, error) {
	urlID := IsURLClientID(id)
	if urlID && !t.Settings.ClientIDMetadataDocuments {
		return storage.Client{}, storage.ErrNotFound
	}
	c, err := s.cfg.Store.GetClient(ctx, t.ID, id)
	if !urlID {
		return c, err
	}
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return c, err
	}
	stored := err == nil
	if stored && s.Now().Before(c.UpdatedAt.Add(cimdRefresh)) {
		return c, nil
	}
	fresh, err := s.documentClient(ctx, t, id)
	if err != nil || !stored {
		return fresh, err
	}
	// A conflict is another request storing its own fetch of the same
	// document meanwhile: this one is as fresh.
	fresh.Version = c.Version
	if err := s.cfg.Store.UpdateClient(ctx, fresh); err != nil && !errors.Is(err, storage.ErrConflict) {
		return fresh, err
	}
	return fresh, nil
}

// StoreClient stores a metadata-document client that has no row yet, once
// a user has approved it (its consent and grants refer to the row); any
// other client, or one stored already, is left as it is.
func (s *Server) StoreClient(ctx context.Context, c storage.Client) error {
	if !IsURLClientID(c.ID) {
		return nil
	}
	if err := s.cfg.Store.CreateClient(ctx, c); err != nil && !errors.Is(err, storage.ErrAlreadyExists) {
		return err
	}
	return nil
}

// documentClient is the client of the metadata document at id, from the
// memory of recent fetches or fetched now (rate-limited).
func (s *Server) documentClient(ctx context.Context, t storage.Tenant, id string) (storage.Client, error) {
	key := t.ID + "\x00" + id
	if d, ok := s.fetched.Get(key, s.Now()); ok {
		return d.c, d.err
	}
	source := t.ID
	if info, ok := ctx.Value(requestInfoKey{}).(*RequestInfo); ok && info.Source != "" {
		source += "|" + info.Source
	}
	if err := s.Limit(ctx, ratelimit.LimitClientMetadata, source); err != nil {
		return storage.Client{}, err
	}
	c, err := s.fetchClientMetadata(ctx, t, id)
	keep := cimdKeep
	if err != nil {
		keep = cimdKeepFailure
	}
	now := s.Now()
	s.fetched.Put(key, fetchedDoc{c: c, err: err}, now.Add(keep), now)
	return c, err
}

// checkClientIDURL applies the draft's rules to a client_id URL (§3): https,
// a path, no fragment, no user information, no dot segments.
func (s *Server) checkClientIDURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || len(raw) > syntax.MaxURILen {
		return nil, errors.New("client_id is not a valid URL")
	}
	host := u.Hostname()
	switch {
	case u.Scheme != "https" && !(u.Scheme == "http" && s.devMode() && syntax.IsLoopbackHost(host)):
		return nil, errors.New("a client_id URL must be https")
	case u.User != nil || u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, errors.New("a client_id URL must not have user information or a fragment")
	case u.Path == "" || u.Path == "/":
		return nil, errors.New("a client_id URL must have a path")
	case slices.ContainsFunc(strings.Split(u.Path, "/"), func(seg string) bool { return seg == "." || seg == ".." }):
		return nil, errors.New("a client_id URL must not have dot segments")
	}
	if err := netcheck.PublicHost(host); err != nil && !s.devMode() {
		return nil, errors.New("a client_id URL must name a public host: " + err.Error())
	}
	return u, nil
}

// cimdDocument is a client metadata document: RFC 7591 metadata plus its
// own client_id.
type cimdDocument struct {
	ClientID              string          `json:"client_id"`
	ClientSecret          json.RawMessage `json:"client_secret"`
	ClientSecretExpiresAt json.RawMessage `json:"client_secret_expires_at"`
	ClientMetadata
}

// fetchClientMetadata fetches and validates the document at id and
// returns the client it describes. Every failure is invalid_client: the
// client cannot be identified.
func (s *Server) fetchClientMetadata(ctx context.Context, t storage.Tenant, id string) (storage.Client, error) {
	fail := func(format string, args ...any) error {
		return Errorf(CodeInvalidClient, "client metadata document: "+format, args...)
	}
	if s.cfg.MetadataTransport == nil {
		return storage.Client{}, fail("fetching is not configured on this server")
	}
	if _, err := s.checkClientIDURL(id); err != nil {
		return storage.Client{}, fail("%s", err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, cimdTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return storage.Client{}, fail("bad URL")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.MetadataTransport.RoundTrip(req) // a redirect is an answer, not followed
	if err != nil {
		s.log.WarnContext(ctx, "client metadata fetch failed", "client_id", id, "err", err)
		return storage.Client{}, fail("could not be fetched")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return storage.Client{}, fail("answered %d, want 200 (redirects are not followed)", resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return storage.Client{}, fail("is not application/json")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, cimdMaxBytes+1))
	if err != nil || len(body) > cimdMaxBytes {
		return storage.Client{}, fail("is larger than %d bytes or unreadable", cimdMaxBytes)
	}
	var doc cimdDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return storage.Client{}, fail("is not a JSON object of client metadata")
	}
	switch {
	case doc.ClientID != id:
		return storage.Client{}, fail("its client_id does not equal the URL it was fetched from")
	case doc.ClientSecret != nil || doc.ClientSecretExpiresAt != nil:
		// §4.1: client_secret and client_secret_expires_at MUST NOT be
		// used: a published document cannot hold a secret.
		return storage.Client{}, fail("has a client_secret, which a metadata document must not")
	case doc.ClientName == nil || strings.TrimSpace(*doc.ClientName) == "":
		// The MCP profile requires client_name: it is what the consent
		// page shows next to the document's host.
		return storage.Client{}, fail("has no client_name")
	}
	// No shared secret can exist for a document client.
	if m := doc.TokenEndpointAuthMethod; m != nil && *m != "none" {
		return storage.Client{}, fail("token_endpoint_auth_method %q is not supported (none)", *m)
	}
	none := "none"
	doc.TokenEndpointAuthMethod = &none
	if err := doc.SelfAsserted(t); err != nil {
		return storage.Client{}, fail("%s", recode(err, CodeInvalidClient).Description)
	}
	now := s.Now()
	c := storage.Client{
		TenantID: t.ID, ID: id, GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := doc.ClientMetadata.ApplyTo(&c); err != nil {
		return storage.Client{}, fail("%s", recode(err, CodeInvalidClient).Description)
	}
	return c, nil
}
