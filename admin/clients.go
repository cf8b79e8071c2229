package admin

import (
	"net/http"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
)

// CreateClient registers a client for the admin, who may choose its id,
// make it first party and give it its own token lifetime.
func (a *API) CreateClient(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	var in authz.ClientMetadata
	if err := authz.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	c, secret, err := a.az.CreateClient(r.Context(), t, in, false)
	if err != nil {
		return err
	}
	a.cfg.Audit.Record(r.Context(), t.ID, "client.created", "admin", c.ID, nil)
	authz.WriteJSON(w, http.StatusCreated, authz.NewClientInfo(c, secret))
	return nil
}

func (a *API) client(r *http.Request) (storage.Client, error) {
	t, err := a.tenant(r)
	if err != nil {
		return storage.Client{}, err
	}
	c, err := a.cfg.Store.GetClient(r.Context(), t.ID, r.PathValue("client"))
	if err != nil {
		return storage.Client{}, authz.StorageError(err, "client")
	}
	return c, nil
}

// GetClient answers a client's metadata, never its secret.
func (a *API) GetClient(w http.ResponseWriter, r *http.Request) error {
	c, err := a.client(r)
	if err != nil {
		return err
	}
	authz.WriteJSON(w, http.StatusOK, authz.NewClientInfo(c, ""))
	return nil
}

// ListClients answers the tenant's clients.
func (a *API) ListClients(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	cs, err := a.cfg.Store.ListClients(r.Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]authz.ClientInfo, len(cs))
	for i, c := range cs {
		out[i] = authz.NewClientInfo(c, "")
	}
	authz.WriteJSON(w, http.StatusOK, map[string]any{"clients": out})
	return nil
}

// PatchClient changes the metadata given. Switching between public and
// confidential is refused: it would silently create or orphan a secret.
func (a *API) PatchClient(w http.ResponseWriter, r *http.Request) error {
	var in authz.ClientMetadata
	if err := authz.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	c, err := a.changeClient(r, func(c *storage.Client) error {
		if in.ClientID != nil && *in.ClientID != c.ID {
			return authz.Errorf(authz.CodeInvalidClientMetadata, "client_id cannot be changed")
		}
		public := c.TokenEndpointAuthMethod == "none"
		if err := in.ApplyTo(c); err != nil {
			return err
		}
		if public != (c.TokenEndpointAuthMethod == "none") {
			return authz.Errorf(authz.CodeInvalidClientMetadata, "a client cannot switch between public and confidential; register a new client")
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.cfg.Audit.Record(r.Context(), c.TenantID, "client.updated", "admin", c.ID, nil)
	authz.WriteJSON(w, http.StatusOK, authz.NewClientInfo(c, ""))
	return nil
}

// DeleteClient deletes a client and what was granted to it.
func (a *API) DeleteClient(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Store.DeleteClient(r.Context(), t.ID, r.PathValue("client")); err != nil {
		return authz.StorageError(err, "client")
	}
	a.cfg.Audit.Record(r.Context(), t.ID, "client.deleted", "admin", r.PathValue("client"), nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// RotateClientSecret replaces a confidential client's secret; the old one
// stops working at once. The new secret is in this response only.
func (a *API) RotateClientSecret(w http.ResponseWriter, r *http.Request) error {
	sec, err := a.az.NewSecret(32)
	if err != nil {
		return err
	}
	c, err := a.changeClient(r, func(c *storage.Client) error {
		if c.TokenEndpointAuthMethod == "none" {
			return authz.Errorf(authz.CodeInvalidRequest, "a public client has no secret")
		}
		c.SecretHash = secret.Hash(sec)
		return nil
	})
	if err != nil {
		return err
	}
	a.cfg.Audit.Record(r.Context(), c.TenantID, "client.secret_rotated", "admin", c.ID, nil)
	authz.WriteJSON(w, http.StatusOK, authz.NewClientInfo(c, sec))
	return nil
}
