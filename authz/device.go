package authz

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/edgeauth/edgeauth/device"
	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/ratelimit"
	"github.com/edgeauth/edgeauth/storage"
)

// DeviceFlow is the OAuth 2.0 device authorization grant (RFC 8628): the
// device authorization endpoint (this file), the polling of the token
// endpoint (grant_device.go), and what the verification page (package
// authflow) asks of it: the pending request of a user code, and the
// user's decision. The rules without HTTP are package device's.
type DeviceFlow struct{ s *Server }

// Device returns the server's device flow.
func (s *Server) Device() *DeviceFlow { return s.device }

// deviceAuthorization is the device authorization response (RFC 8628
// §3.2).
type deviceAuthorization struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// Maximum attempts at a user code not taken in the tenant.
const userCodeAttempts = 3

// Authorization handles the device authorization endpoint (RFC 8628 §3.1,
// §3.2): an authenticated client (a public one sends only its client_id)
// asks for a device code and a user code, for scope and resources as at
// the authorization endpoint. Nothing but the request's row is stored,
// bounded by ratelimit.LimitDeviceAuthorization and the row's lifetime.
func (d *DeviceFlow) Authorization(w http.ResponseWriter, r *http.Request) error {
	s := d.s
	ctx := r.Context()
	t, p, client, err := s.clientRequest(w, r, "resource")
	if err != nil {
		return err
	}
	// A metadata-document client has no row until a user approves it, and
	// a device authorization refers to its client's.
	if !slices.Contains(client.GrantTypes, device.GrantType) || IsURLClientID(client.ID) {
		return Errorf(CodeUnauthorizedClient, "the client may not use the device authorization grant")
	}
	if err := s.Limit(ctx, ratelimit.LimitDeviceAuthorization, t.ID+"|"+client.ID+"|"+s.ClientIP(r)); err != nil {
		return err
	}
	// RFC 8628 §3.1: scope as at the authorization endpoint; resources
	// as RFC 8707 has them there.
	scope, err := grantableScope(client, p.Get("scope"), p.Has("scope"))
	if err != nil {
		return err
	}
	resources, err := checkResources(t, p["resource"])
	if err != nil {
		return err
	}
	code, err := device.NewDeviceCode(s.cfg.Rand)
	if err != nil {
		return err
	}
	now := s.Now()
	ttl, interval := deviceTTL(t), deviceInterval(t)
	rec := storage.DeviceAuthorization{
		TenantID: t.ID, DeviceHash: secret.Hash(code), ClientID: client.ID, Scope: scope, Resources: resources,
		Status: storage.DevicePending, Interval: int64(interval / time.Second), CreatedAt: now, ExpiresAt: now.Add(ttl),
	}
	for range userCodeAttempts {
		if rec.UserCode, err = device.NewUserCode(s.cfg.Rand); err != nil {
			return err
		}
		// A collision with a live or unpruned user code: draw again.
		if err = s.cfg.Store.CreateDeviceAuthorization(ctx, rec); !errors.Is(err, storage.ErrAlreadyExists) {
			break
		}
	}
	if errors.Is(err, storage.ErrNotFound) {
		return &Error{Code: CodeInvalidClient, Description: "client authentication failed", Err: err} // deleted meanwhile
	} else if err != nil {
		return err
	}
	uri := s.Issuer(t.ID) + "/device"
	w.Header().Set("Pragma", "no-cache")
	WriteJSON(w, http.StatusOK, deviceAuthorization{
		DeviceCode: code, UserCode: device.Format(rec.UserCode), VerificationURI: uri,
		VerificationURIComplete: uri + "?" + url.Values{"user_code": {device.Format(rec.UserCode)}}.Encode(),
		ExpiresIn:               int64(ttl / time.Second), Interval: rec.Interval,
	})
	return nil
}

// deviceTTL is tenant t's device code lifetime.
func deviceTTL(t storage.Tenant) time.Duration {
	if t.Settings.DeviceCodeTTL > 0 {
		return time.Duration(t.Settings.DeviceCodeTTL) * time.Second
	}
	return device.DefaultTTL
}

// deviceInterval is tenant t's polling interval.
func deviceInterval(t storage.Tenant) time.Duration {
	if t.Settings.DevicePollInterval > 0 {
		return time.Duration(t.Settings.DevicePollInterval) * time.Second
	}
	return device.DefaultInterval
}

// Pending returns the device authorization of the user code typed on the
// verification page, with its client, if it is pending and unexpired; ok
// is false for anything else (malformed, unknown, decided, expired, its
// client gone): one answer, so the page tells a guesser nothing.
func (d *DeviceFlow) Pending(ctx context.Context, t storage.Tenant, typed string) (storage.DeviceAuthorization, storage.Client, bool, error) {
	s := d.s
	code, ok := device.Normalize(typed)
	if !ok {
		return storage.DeviceAuthorization{}, storage.Client{}, false, nil
	}
	rec, err := s.cfg.Store.GetDeviceAuthorization(ctx, t.ID, code)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return rec, storage.Client{}, false, nil
	case err != nil:
		return rec, storage.Client{}, false, err
	case rec.Status != storage.DevicePending || !s.Now().Before(rec.ExpiresAt):
		return rec, storage.Client{}, false, nil
	}
	client, err := s.LookupClient(ctx, t, rec.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return rec, client, false, nil
	}
	return rec, client, err == nil, err
}

// Decide records a signed-in user's decision on a pending device
// authorization (RFC 8628 §3.3). decided is false when it was no longer
// pending (decided meanwhile, expired, gone, or its user deleted): one
// guarded statement decides, so of two decisions at once one counts.
func (d *DeviceFlow) Decide(ctx context.Context, dec storage.DeviceDecision) (decided bool, err error) {
	dec.At = d.s.Now()
	err = d.s.cfg.Store.DecideDeviceAuthorization(ctx, dec)
	if errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
