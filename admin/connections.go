package admin

import (
	"net/http"
	"strings"

	"github.com/edgeauth/edgeauth/authz"
	"github.com/edgeauth/edgeauth/connections"
	"github.com/edgeauth/edgeauth/storage"
)

// connectionJSON is a connection as the admin API reads it: pointers tell
// "absent" (keep) from a given value, so one type serves create and PATCH.
type connectionJSON struct {
	ID           *string   `json:"id"`
	Kind         *string   `json:"kind"`
	Name         *string   `json:"name"`
	Issuer       *string   `json:"issuer"`
	ClientID     *string   `json:"client_id"`
	ClientSecret *string   `json:"client_secret"`
	Scopes       *[]string `json:"scopes"`
	CreateUsers  *bool     `json:"create_users"`
	StoreTokens  *bool     `json:"store_tokens"`
}

// connectionResponse never carries the client secret, only whether one
// is set.
type connectionResponse struct {
	ID              string   `json:"id"`
	Kind            string   `json:"kind"`
	Name            string   `json:"name"`
	Issuer          string   `json:"issuer,omitempty"`
	ClientID        string   `json:"client_id"`
	ClientSecretSet bool     `json:"client_secret_set"`
	Scopes          []string `json:"scopes"`
	CreateUsers     bool     `json:"create_users"`
	StoreTokens     bool     `json:"store_tokens"`
	// RedirectURI is the callback to register at the upstream.
	RedirectURI string  `json:"redirect_uri"`
	CreatedAt   *string `json:"created_at"`
	UpdatedAt   *string `json:"updated_at"`
}

func (a *API) connectionResponse(c storage.Connection) connectionResponse {
	return connectionResponse{ID: c.ID, Kind: c.Kind, Name: c.Name, Issuer: c.Issuer, ClientID: c.ClientID,
		ClientSecretSet: c.ClientSecretSealed != nil, Scopes: connections.Scopes(c), CreateUsers: c.CreateUsers,
		StoreTokens: c.StoreTokens, RedirectURI: a.az.Issuer(c.TenantID) + "/callback/" + c.ID,
		CreatedAt: authz.TimeJSON(c.CreatedAt), UpdatedAt: authz.TimeJSON(c.UpdatedAt)}
}

// applyConnection sets c's fields from those the request has, then checks the
// whole connection (connections.Broker.Check) and seals a new secret.
func (a *API) applyConnection(in *connectionJSON, c *storage.Connection) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.Name, in.Name)
	set(&c.Issuer, in.Issuer)
	set(&c.ClientID, in.ClientID)
	if in.Scopes != nil {
		c.Scopes = *in.Scopes
	}
	if in.CreateUsers != nil {
		c.CreateUsers = *in.CreateUsers
	}
	if in.StoreTokens != nil {
		c.StoreTokens = *in.StoreTokens
	}
	if c.Name == "" {
		c.Name = connections.DefaultName(*c)
	}
	if err := a.cfg.Connections.Check(*c); err != nil {
		return authz.Errorf(authz.CodeInvalidRequest, "%s", err)
	}
	if in.ClientSecret != nil {
		switch s := *in.ClientSecret; {
		case s == "":
			c.ClientSecretSealed = nil // a public client at the upstream
		case len(s) > connections.MaxSecretLen || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return authz.Errorf(authz.CodeInvalidRequest, "client_secret must be at most %d bytes without control characters", connections.MaxSecretLen)
		default:
			c.ClientSecretSealed = a.cfg.Connections.SealClientSecret(c.TenantID, c.ID, s)
		}
	}
	return nil
}

// CreateConnection adds an upstream identity provider to a tenant. The
// client secret is sealed at rest and never answered.
func (a *API) CreateConnection(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	var in connectionJSON
	if err := authz.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	if in.ID == nil || in.Kind == nil {
		return authz.Errorf(authz.CodeInvalidRequest, "id and kind are required")
	}
	now := a.az.Now()
	c := storage.Connection{TenantID: t.ID, ID: *in.ID, Kind: *in.Kind, CreatedAt: now, UpdatedAt: now}
	if err := a.applyConnection(&in, &c); err != nil {
		return err
	}
	if err := a.cfg.Store.CreateConnection(r.Context(), c); err != nil {
		return authz.StorageError(err, "connection")
	}
	a.cfg.Audit.Record(r.Context(), t.ID, "connection.created", "admin", c.ID, map[string]any{"kind": c.Kind})
	authz.WriteJSON(w, http.StatusCreated, a.connectionResponse(c))
	return nil
}

// ListConnections answers the tenant's connections.
func (a *API) ListConnections(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	list, err := a.cfg.Store.ListConnections(r.Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]connectionResponse, 0, len(list))
	for _, c := range list {
		out = append(out, a.connectionResponse(c))
	}
	authz.WriteJSON(w, http.StatusOK, map[string]any{"connections": out})
	return nil
}

// connection loads the connection of r's path.
func (a *API) connection(r *http.Request) (storage.Connection, error) {
	t, err := a.tenant(r)
	if err != nil {
		return storage.Connection{}, err
	}
	c, err := a.cfg.Store.GetConnection(r.Context(), t.ID, r.PathValue("connection"))
	if err != nil {
		return storage.Connection{}, authz.StorageError(err, "connection")
	}
	return c, nil
}

// GetConnection answers one connection.
func (a *API) GetConnection(w http.ResponseWriter, r *http.Request) error {
	c, err := a.connection(r)
	if err != nil {
		return err
	}
	authz.WriteJSON(w, http.StatusOK, a.connectionResponse(c))
	return nil
}

// PatchConnection changes the fields given; absent ones keep their
// value. The id, the kind and the issuer cannot change: an account is
// linked by its subject, which is unique only at its issuer (OIDC Core
// §5.7; a GitHub user id only at its GitHub), so the same subject at
// another issuer would sign in as the account's user. A client_secret
// replaces the one stored ("" removes it).
func (a *API) PatchConnection(w http.ResponseWriter, r *http.Request) error {
	var in connectionJSON
	if err := authz.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	ctx := r.Context()
	c, err := change(func() (storage.Connection, error) { return a.connection(r) }, func(c *storage.Connection) error {
		if in.ID != nil && *in.ID != c.ID || in.Kind != nil && *in.Kind != c.Kind {
			return authz.Errorf(authz.CodeInvalidRequest, "id and kind cannot be changed")
		}
		if in.Issuer != nil && strings.TrimSpace(*in.Issuer) != c.Issuer {
			return authz.Errorf(authz.CodeInvalidRequest, "issuer cannot be changed: its accounts' subjects are unique only at their issuer; create a new connection (and delete this one) instead")
		}
		return a.applyConnection(&in, c)
	}, func(c *storage.Connection) error {
		c.UpdatedAt = a.az.Now()
		return authz.StorageError(a.cfg.Store.UpdateConnection(ctx, *c), "connection")
	})
	if err != nil {
		return err
	}
	a.cfg.Audit.Record(ctx, c.TenantID, "connection.updated", "admin", c.ID, map[string]any{"secret_changed": in.ClientSecret != nil})
	authz.WriteJSON(w, http.StatusOK, a.connectionResponse(c))
	return nil
}

// DeleteConnection deletes a connection and unlinks every account of it;
// the users stay. A sign-in through it that is under way fails.
func (a *API) DeleteConnection(w http.ResponseWriter, r *http.Request) error {
	t, err := a.tenant(r)
	if err != nil {
		return err
	}
	id := r.PathValue("connection")
	if err := a.cfg.Store.DeleteConnection(r.Context(), t.ID, id); err != nil {
		return authz.StorageError(err, "connection")
	}
	a.cfg.Audit.Record(r.Context(), t.ID, "connection.deleted", "admin", id, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
