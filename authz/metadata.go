package authz

import (
	"net/http"
)

// metadata is the RFC 8414 authorization server metadata document. It
// lists only what the server implements today; endpoints are added here as
// they land.
type metadata struct {
	Issuer                        string   `json:"issuer"`
	JWKSURI                       string   `json:"jwks_uri"`
	ResponseTypesSupported        []string `json:"response_types_supported"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
	// OpenID Connect Discovery 1.0 §3 fields, only in openid-configuration.
	SubjectTypesSupported []string `json:"subject_types_supported,omitempty"`
}

func (s *Server) metadata(tenantID string) metadata {
	iss := s.issuer(tenantID)
	return metadata{
		Issuer:  iss,
		JWKSURI: iss + "/jwks.json",
		// RFC 8414 §2: REQUIRED. Only the code flow will ever be offered.
		ResponseTypesSupported:        []string{"code"},
		CodeChallengeMethodsSupported: []string{"S256"},
	}
}

// serveMetadata answers both RFC 8414 path forms: the well-known prefix
// inserted before the issuer's path (§3.1) and the suffix form some clients
// use.
func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, s.metadata(t.ID))
	return nil
}

// serveOpenIDConfiguration answers OpenID Connect Discovery with the same
// fields plus the OIDC ones.
func (s *Server) serveOpenIDConfiguration(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenant(r.Context(), r)
	if err != nil {
		return err
	}
	md := s.metadata(t.ID)
	md.SubjectTypesSupported = []string{"public"}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, md)
	return nil
}
