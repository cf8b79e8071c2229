package authz

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/edgeauth/edgeauth/jwks"
	"github.com/edgeauth/edgeauth/storage"
)

// settingsJSON is TenantSettings as the admin API reads it: pointers tell
// "absent" (keep) from a given value (set), so one type serves create and
// PATCH.
type settingsJSON struct {
	AccessTokenTTL   *int64    `json:"access_token_ttl"`
	RefreshTokenTTL  *int64    `json:"refresh_token_ttl"`
	Registration     *string   `json:"registration"`
	AllowedResources *[]string `json:"allowed_resources"`
	DefaultAudience  *string   `json:"default_audience"`
	RotationPeriod   *int64    `json:"rotation_period"`
	SigningAlg       *string   `json:"signing_alg"`
	CIMD             *bool     `json:"client_id_metadata_documents"`
	SelfRegistered   *string   `json:"self_registered_scope"`
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
		if err := checkText("name", *in.Name, 200); err != nil {
			return err
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

func (s *Server) tenantResponse(t storage.Tenant) tenantResponse {
	t.Settings.RegistrationTokenHash = "" // not even its hash leaves the server
	return tenantResponse{ID: t.ID, Name: t.Name, Issuer: s.issuer(t.ID), Settings: t.Settings,
		CreatedAt: timeJSON(t.CreatedAt), UpdatedAt: timeJSON(t.UpdatedAt)}
}

// Limits of tenant settings, in seconds.
const (
	minAccessTTL      = 60
	maxAccessTTL      = 24 * 3600
	minRefreshTTL     = 300
	maxRefreshTTL     = 365 * 24 * 3600
	minRotationPeriod = 3600
	maxRotationPeriod = 365 * 24 * 3600
	maxResources      = 100
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
	if err := setOneOf("registration", in.Registration, `"off", "token" or "open"`, &set.Registration, "off", "token", "open"); err != nil {
		return err
	}
	if v := in.AllowedResources; v != nil {
		if len(*v) > maxResources {
			return errorf(CodeInvalidRequest, "settings.allowed_resources has more than %d entries", maxResources)
		}
		for _, res := range *v {
			if err := checkResource(res); err != nil {
				return errorf(CodeInvalidRequest, "settings.allowed_resources: %s", err.Error())
			}
		}
		set.AllowedResources = *v
	}
	if v := in.DefaultAudience; v != nil {
		if *v == "" {
			return errorf(CodeInvalidRequest, "settings.default_audience must not be empty")
		}
		if err := checkText("settings.default_audience", *v, 512); err != nil {
			return err
		}
		set.DefaultAudience = *v
	}
	if err := setSeconds("rotation_period", in.RotationPeriod, minRotationPeriod, maxRotationPeriod, &set.RotationPeriod); err != nil {
		return err
	}
	if err := setOneOf("signing_alg", in.SigningAlg, `"ES256", "EdDSA" or "RS256"`, &set.SigningAlg, "ES256", "EdDSA", "RS256"); err != nil {
		return err
	}
	if v := in.CIMD; v != nil {
		set.ClientIDMetadataDocuments = *v
	}
	if v := in.SelfRegistered; v != nil {
		scope, err := normalizeScope(*v)
		if err != nil {
			return errorf(CodeInvalidRequest, "settings.self_registered_scope: %s", err.(*Error).Description)
		}
		set.SelfRegisteredScope = scope
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
		return errorf(CodeInvalidRequest, "settings.%s must be between %d and %d seconds", name, lo, hi)
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
		return errorf(CodeInvalidRequest, "settings.%s must be %s", name, listed)
	}
	*dst = *v
	return nil
}

// createTenant creates a tenant and its first signing keys (a current and a
// pre-published next key). Storage has no transactions, so if the keys
// cannot be stored the tenant row is deleted again: a failed create leaves
// nothing behind.
func (s *Server) createTenant(w http.ResponseWriter, r *http.Request) error {
	var in tenantJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.ID == nil || !validTenantID(*in.ID) {
		return errorf(CodeInvalidRequest, "id is required and must match [a-z0-9][a-z0-9-]{0,62}")
	}
	t := storage.Tenant{ID: *in.ID, Name: *in.ID}
	if err := in.applyTo(&t); err != nil {
		return err
	}
	now := s.now()
	t.CreatedAt, t.UpdatedAt = now, now

	ctx := r.Context()
	if err := s.cfg.Store.CreateTenant(ctx, t); err != nil {
		return storageError(err, "tenant")
	}
	if _, err := jwks.Bootstrap(ctx, s.cfg.Store, s.cfg.Rand, s.cfg.Sealer, t.ID, s.signingAlg(t), now); err != nil {
		s.undoCreateTenant(ctx, t.ID)
		return err
	}
	s.audit(ctx, t.ID, "tenant.created", "admin", t.ID, nil)
	writeJSON(w, http.StatusCreated, s.tenantResponse(t))
	return nil
}

// undoCreateTenant removes a tenant whose creation failed half-way. It runs
// detached from the request's cancellation so that a gone client does not
// leave the half.
func (s *Server) undoCreateTenant(ctx context.Context, id string) {
	if err := s.cfg.Store.DeleteTenant(context.WithoutCancel(ctx), id); err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.log.ErrorContext(ctx, "could not remove half-created tenant", "tenant", id, "err", err)
	}
}

func (s *Server) signingAlg(t storage.Tenant) string {
	if t.Settings.SigningAlg != "" {
		return t.Settings.SigningAlg
	}
	return DefaultSigningAlg
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.tenantResponse(t))
	return nil
}

// patchTenant changes the name and the settings given; absent fields keep
// their value. The id cannot change.
func (s *Server) patchTenant(w http.ResponseWriter, r *http.Request) error {
	var in tenantJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.changeTenant(r, func(t *storage.Tenant) error {
		if in.ID != nil && *in.ID != t.ID {
			return errorf(CodeInvalidRequest, "id cannot be changed")
		}
		return in.applyTo(t)
	})
	if err != nil {
		return err
	}
	s.audit(r.Context(), t.ID, "tenant.updated", "admin", t.ID, nil)
	writeJSON(w, http.StatusOK, s.tenantResponse(t))
	return nil
}

// deleteTenant deletes a tenant and everything it owns in one statement.
func (s *Server) deleteTenant(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("tenant")
	if !validTenantID(id) {
		return errorf(CodeNotFound, "tenant not found")
	}
	if err := s.cfg.Store.DeleteTenant(r.Context(), id); err != nil {
		return storageError(err, "tenant")
	}
	// The tenant's own log went with it; the deletion is an event of no tenant.
	s.audit(r.Context(), "", "tenant.deleted", "admin", id, nil)
	s.deleteRecordKey(r.Context(), "jwks:"+id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
