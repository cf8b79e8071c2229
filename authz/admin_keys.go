package authz

import (
	"net/http"
)

type keyResponse struct {
	KID         string  `json:"kid"`
	Alg         string  `json:"alg"`
	Use         string  `json:"use"`
	State       string  `json:"state"`
	CreatedAt   *string `json:"created_at"`
	ActivatedAt *string `json:"activated_at,omitempty"`
	RetiredAt   *string `json:"retired_at,omitempty"`
}

// listKeys lists the tenant's keys with their states and dates; never
// private material.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return err
	}
	keys, err := s.cfg.Store.ListKeys(r.Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]keyResponse, len(keys))
	for i, k := range keys {
		out[i] = keyResponse{KID: k.KID, Alg: k.Alg, Use: string(k.Use), State: string(k.State),
			CreatedAt: timeJSON(k.CreatedAt), ActivatedAt: timeJSON(k.ActivatedAt), RetiredAt: timeJSON(k.RetiredAt)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
	return nil
}
