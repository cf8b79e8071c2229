package admin

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/device"
	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/internal/syntax"
	"github.com/edgeauth/edgeauth/session"
	"github.com/edgeauth/edgeauth/storage"
)

// settingsJSON is TenantSettings as the admin API reads it: pointers tell
// "absent" (keep) from a given value (set), so one type serves create and
// PATCH.
type settingsJSON struct {
	AccessTokenTTL     *int64    `json:"access_token_ttl"`
	RefreshTokenTTL    *int64    `json:"refresh_token_ttl"`
	SessionTTL         *int64    `json:"session_ttl"`
	Registration       *string   `json:"registration"`
	AllowedResources   *[]string `json:"allowed_resources"`
	DefaultAudience    *string   `json:"default_audience"`
	RotationPeriod     *int64    `json:"rotation_period"`
	SigningAlg         *string   `json:"signing_alg"`
	CIMD               *bool     `json:"client_id_metadata_documents"`
	SelfRegistered     *string   `json:"self_registered_scope"`
	DeviceCodeTTL      *int64    `json:"device_code_ttl"`
	DevicePollInterval *int64    `json:"device_poll_interval"`
	// ScopeDescriptions replaces the whole map when given.
	ScopeDescriptions *map[string]string `json:"scope_descriptions"`
	PasswordLogin     *string            `json:"password_login"`
	LinkIdentities    *string            `json:"link_identities"`
}

type tenantJSON struct {
	ID       *string       `json:"id"`
	Name     *string       `json:"name"`
	Settings *settingsJSON `json:"settings"`
}

// applyTo sets t's name and settings from the fields the request has
// (creation and PATCH alike).
func (in *tenantJSON) applyTo(t *storage.Tenant) error {
	if in.Name != nil {
		if err := syntax.CheckText("name", *in.Name, 200); err != nil {
			return authz.Errorf(authz.CodeInvalidRequest, "%s", err)
		}
		t.Name = *in.Name
	}
	return in.Settings.apply(&t.Settings)
}

type tenantResponse struct {
	ID        string                 `json:"id"`
	Name      string                 `json:"name"`
	Issuer    string                 `json:"issuer"`
	Settings  storage.TenantSettings `json:"settings"`
	CreatedAt *string                `json:"created_at"`
	UpdatedAt *string                `json:"updated_at"`
}

func (a *API) tenantResponse(t storage.Tenant) tenantResponse {
	t.Settings.RegistrationTokenHash = "" // not even its hash leaves the server
	return tenantResponse{ID: t.ID, Name: t.Name, Issuer: a.az.Issuer(t.ID), Settings: t.Settings,
		CreatedAt: authz.TimeJSON(t.CreatedAt), UpdatedAt: authz.TimeJSON(t.UpdatedAt)}
}

// Limits of tenant settings, in seconds.
const (
	minAccessTTL      = int64(authz.MinAccessTokenTTL / time.Second)
	maxAccessTTL      = int64(authz.MaxAccessTokenTTL / time.Second)
	minRefreshTTL     = 300
	maxRefreshTTL     = 365 * 24 * 3600
	minRotationPeriod = 3600
	maxRotationPeriod = 365 * 24 * 3600
	maxResources      = 100
	minSessionTTL     = int64(session.MinTTL / time.Second)
	maxSessionTTL     = int64(session.MaxTTL / time.Second)
	// maxScopeDescriptions bounds settings.scope_descriptions; a
	// description is at most maxScopeDescription characters.
	maxScopeDescriptions = 100
	maxScopeDescription  = 200
)

// apply validates the given fields and writes them into set.
func (in *settingsJSON) apply(set *storage.TenantSettings) error {
	if in == nil {
		return nil
	}
	if err := setSeconds("access_token_ttl", in.AccessTokenTTL, minAccessTTL, maxAccessTTL, &set.AccessTokenTTL); err != nil {
		return err
	}
	if err := setSeconds("refresh_token_ttl", in.RefreshTokenTTL, minRefreshTTL, maxRefreshTTL, &set.RefreshTokenTTL); err != nil {
		return err
	}
	if err := setSeconds("session_ttl", in.SessionTTL, minSessionTTL, maxSessionTTL, &set.SessionTTL); err != nil {
		return err
	}
	if err := setOneOf("registration", in.Registration, `"off", "token" or "open"`, &set.Registration, "off", "token", "open"); err != nil {
		return err
	}
	if v := in.AllowedResources; v != nil {
		if len(*v) > maxResources {
			return authz.Errorf(authz.CodeInvalidRequest, "settings.allowed_resources has more than %d entries", maxResources)
		}
		for _, res := range *v {
			if err := syntax.CheckResource(res); err != nil {
				return authz.Errorf(authz.CodeInvalidRequest, "settings.allowed_resources: %s", err.Error())
			}
		}
		set.AllowedResources = *v
	}
	if v := in.DefaultAudience; v != nil {
		if *v == "" {
			return authz.Errorf(authz.CodeInvalidRequest, "settings.default_audience must not be empty")
		}
		if err := syntax.CheckText("settings.default_audience", *v, 512); err != nil {
			return authz.Errorf(authz.CodeInvalidRequest, "%s", err)
		}
		set.DefaultAudience = *v
	}
	if err := setSeconds("rotation_period", in.RotationPeriod, minRotationPeriod, maxRotationPeriod, &set.RotationPeriod); err != nil {
		return err
	}
	if err := setOneOf("signing_alg", in.SigningAlg, `"ES256", "EdDSA" or "RS256"`, &set.SigningAlg, "ES256", "EdDSA", "RS256"); err != nil {
		return err
	}
	if err := setSeconds("device_code_ttl", in.DeviceCodeTTL, int64(device.MinTTL/time.Second), int64(device.MaxTTL/time.Second), &set.DeviceCodeTTL); err != nil {
		return err
	}
	if err := setSeconds("device_poll_interval", in.DevicePollInterval, int64(device.MinInterval/time.Second), int64(device.MaxInterval/time.Second), &set.DevicePollInterval); err != nil {
		return err
	}
	if v := in.CIMD; v != nil {
		set.ClientIDMetadataDocuments = *v
	}
	if v := in.SelfRegistered; v != nil {
		scope, err := syntax.NormalizeScope(*v)
		if err != nil {
			return authz.Errorf(authz.CodeInvalidRequest, "settings.self_registered_scope: %s", err)
		}
		set.SelfRegisteredScope = scope
	}
	if err := setOneOf("password_login", in.PasswordLogin, `"on" or "off"`, &set.PasswordLogin, "on", "off"); err != nil {
		return err
	}
	if err := setOneOf("link_identities", in.LinkIdentities, `"off" or "verified_email"`, &set.LinkIdentities, "off", "verified_email"); err != nil {
		return err
	}
	return setScopeDescriptions(in.ScopeDescriptions, set)
}

// setScopeDescriptions stores settings.scope_descriptions when given: at
// most maxScopeDescriptions scopes (RFC 6749 §3.3 tokens), each with a
// description of readable text; an empty map removes them all.
func setScopeDescriptions(v *map[string]string, set *storage.TenantSettings) error {
	if v == nil {
		return nil
	}
	if len(*v) > maxScopeDescriptions {
		return authz.Errorf(authz.CodeInvalidRequest, "settings.scope_descriptions has more than %d entries", maxScopeDescriptions)
	}
	for scope, text := range *v {
		if !syntax.ValidScopeToken(scope) {
			return authz.Errorf(authz.CodeInvalidRequest, "settings.scope_descriptions: %q is not a scope (RFC 6749 §3.3)", scope)
		}
		if text == "" {
			return authz.Errorf(authz.CodeInvalidRequest, "settings.scope_descriptions: the description of %q is empty", scope)
		}
		if err := syntax.CheckText("settings.scope_descriptions."+scope, text, maxScopeDescription); err != nil {
			return authz.Errorf(authz.CodeInvalidRequest, "%s", err)
		}
	}
	set.ScopeDescriptions = nil
	if len(*v) > 0 {
		set.ScopeDescriptions = *v
	}
	return nil
}

// setSeconds stores the setting name in dst when it is given (v not nil)
// and between lo and hi seconds.
func setSeconds(name string, v *int64, lo, hi int64, dst *int64) error {
	if v == nil {
		return nil
	}
	if *v < lo || *v > hi {
		return authz.Errorf(authz.CodeInvalidRequest, "settings.%s must be between %d and %d seconds", name, lo, hi)
	}
	*dst = *v
	return nil
}

// setOneOf stores the setting name in dst when it is given and one of
// allowed (listed for the error message).
func setOneOf(name string, v *string, listed string, dst *string, allowed ...string) error {
	if v == nil {
		return nil
	}
	if !slices.Contains(allowed, *v) {
		return authz.Errorf(authz.CodeInvalidRequest, "settings.%s must be %s", name, listed)
	}
	*dst = *v
	return nil
}

// CreateTenant creates a tenant and its first signing keys (a current and a
// pre-published next key). Storage has no transactions, so if the keys
// cannot be stored the tenant row is deleted again: a failed create leaves
// nothing behind.
func (a *API) CreateTenant(w http.ResponseWriter, r *http.Request) error {
	var in tenantJSON
	if err := authz.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	if in.ID == nil || !syntax.ValidTenantID(*in.ID) {
		return authz.Errorf(authz.CodeInvalidRequest, "id is required and must match [a-z0-9][a-z0-9-]{0,62}")
	}
	t := storage.Tenant{ID: *in.ID, Name: *in.ID}
	if err := in.applyTo(&t); err != nil {
		return err
	}
	now := a.az.Now()
	t.CreatedAt, t.UpdatedAt = now, now

	ctx := r.Context()
	if err := a.cfg.Store.CreateTenant(ctx, t); err != nil {
		return authz.StorageError(err, "tenant")
	}
	if _, err := a.rotator().Bootstrap(ctx, t.ID, authz.SigningAlg(t), now); err != nil {
		a.undoCreateTenant(ctx, t.ID)
		return err
	}
	a.cfg.Audit.Record(ctx, t.ID, "tenant.created", "admin", t.ID, nil)
	authz.WriteJSON(w, http.StatusCreated, a.tenantResponse(t))
	return nil
}

// undoCreateTenant removes a tenant whose creation failed half-way. It runs
// detached from the request's cancellation so that a gone client does not
// leave the half.
func (a *API) undoCreateTenant(ctx context.Context, id string) {
	if err := a.cfg.Store.DeleteTenant(context.WithoutCancel(ctx), id); err != nil && !errors.Is(err, storage.ErrNotFound) {
		a.cfg.Logger.ErrorContext(ctx, "could not remove half-created tenant", "tenant", id, "err", err)
	}
}

// GetTenant answers the tenant, its issuer and settings.
func (a *API) GetTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	authz.WriteJSON(w, http.StatusOK, a.tenantResponse(t))
	return nil
}

// PatchTenant changes the name and the settings given; absent fields keep
// their value. The id cannot change.
func (a *API) PatchTenant(w http.ResponseWriter, r *http.Request) error {
	var in tenantJSON
	if err := authz.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	t, err := a.changeTenant(r, func(t *storage.Tenant) error {
		if in.ID != nil && *in.ID != t.ID {
			return authz.Errorf(authz.CodeInvalidRequest, "id cannot be changed")
		}
		return in.applyTo(t)
	})
	if err != nil {
		return err
	}
	a.cfg.Audit.Record(r.Context(), t.ID, "tenant.updated", "admin", t.ID, nil)
	authz.WriteJSON(w, http.StatusOK, a.tenantResponse(t))
	return nil
}

// DeleteTenant deletes a tenant and everything it owns in one statement.
func (a *API) DeleteTenant(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("tenant")
	if !syntax.ValidTenantID(id) {
		return authz.Errorf(authz.CodeNotFound, "tenant not found")
	}
	if err := a.cfg.Store.DeleteTenant(r.Context(), id); err != nil {
		return authz.StorageError(err, "tenant")
	}
	// The tenant's own log went with it; the deletion is an event of no tenant.
	a.cfg.Audit.Record(r.Context(), "", "tenant.deleted", "admin", id, nil)
	if err := a.cfg.Keys.Forget(r.Context(), id); err != nil {
		a.cfg.Logger.WarnContext(r.Context(), "kv delete failed", "kind", "jwks", "err", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// NewRegistrationToken makes a new initial access token for the tenant's
// "token" registration policy. It is shown once; the tenant keeps its
// SHA-256, and the previous token stops working.
func (a *API) NewRegistrationToken(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	token, err := a.az.NewSecret(32)
	if err != nil {
		return err
	}
	t, err := a.changeTenant(r, func(t *storage.Tenant) error {
		t.Settings.RegistrationTokenHash = hex.EncodeToString(secret.Hash(token))
		return nil
	})
	if err != nil {
		return err
	}
	a.cfg.Audit.Record(ctx, t.ID, "registration_token.created", "admin", t.ID, nil)
	authz.WriteJSON(w, http.StatusCreated, map[string]string{"initial_access_token": token})
	return nil
}
