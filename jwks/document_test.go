package jwks

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
)

// fakeKey is a record for the selection tests; only its metadata matters.
func fakeKey(kid string, use storage.KeyUse, state storage.KeyState, created, activated time.Time) storage.SigningKey {
	return storage.SigningKey{TenantID: "acme", KID: kid, Alg: ES256, Use: use, State: state, CreatedAt: created, ActivatedAt: activated}
}

func kids(keys []storage.SigningKey) []string {
	out := []string{}
	for _, k := range keys {
		out = append(out, k.KID)
	}
	return out
}

func TestDocument(t *testing.T) {
	s := newTestSealer(t)
	at := func(h int) time.Time { return testNow.Add(time.Duration(h) * time.Hour) }
	// In ListKeys order (CreatedAt, KID): retired oldest, then current, then
	// next, plus an ID-token RS256 key.
	retired := genKey(t, s, EdDSA, storage.UseAccessToken, storage.KeyRetired, at(0))
	current := genKey(t, s, ES256, storage.UseAccessToken, storage.KeyCurrent, at(1))
	idKey := genKey(t, s, RS256, storage.UseIDToken, storage.KeyCurrent, at(2))
	next := genKey(t, s, ES256, storage.UseAccessToken, storage.KeyNext, at(3))
	keys := []storage.SigningKey{retired, current, idKey, next}

	doc, err := Document(keys)
	if err != nil {
		t.Fatalf("Document: %v", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("Document output %s does not parse: %v", doc, err)
	}
	var got []string
	for _, jwk := range set.Keys {
		if !jwk.IsPublic() {
			t.Errorf("Document key %q is not public", jwk.KeyID)
		}
		if !jwk.Valid() {
			t.Errorf("Document key %q is not valid", jwk.KeyID)
		}
		got = append(got, jwk.KeyID)
	}
	want := []string{current.KID, idKey.KID, next.KID, retired.KID}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Document kids (-want +got):\n%s", diff)
	}

	// No private member anywhere, by name.
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		t.Fatal(err)
	}
	for _, m := range raw.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := m[private]; ok {
				t.Errorf("Document key %v has private member %q", m["kid"], private)
			}
		}
	}

	// Same keys in any order give the same bytes.
	again, err := Document([]storage.SigningKey{next, idKey, retired, current})
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(doc) {
		t.Errorf("Document depends on input order:\n%s\n%s", doc, again)
	}

	// Empty.
	empty, err := Document(nil)
	if err != nil || string(empty) != `{"keys":[]}` {
		t.Errorf("Document(nil) = %s, %v; want {\"keys\":[]}", empty, err)
	}
}

func TestDocumentRefusesBadJWK(t *testing.T) {
	s := newTestSealer(t)
	k := genKey(t, s, ES256, storage.UseAccessToken, storage.KeyCurrent, testNow)
	der, err := s.Open(k.TenantID, k.KID, k.PrivateSealed)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := parsePrivate(der, ES256)
	if err != nil {
		t.Fatal(err)
	}
	privJWK, err := jose.JSONWebKey{Key: priv, KeyID: k.KID, Algorithm: ES256, Use: "sig"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		jwk  []byte
		kid  string
	}{
		{"private key", privJWK, k.KID},
		{"kid mismatch", k.PublicJWK, "other"},
		{"symmetric", []byte(`{"kty":"oct","k":"c2VjcmV0","kid":"x"}`), "x"},
		{"not json", []byte(`{`), k.KID},
		{"empty", nil, k.KID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := k
			bad.PublicJWK, bad.KID = tt.jwk, tt.kid
			doc, err := Document([]storage.SigningKey{bad})
			if err == nil {
				t.Errorf("Document(%s) = %s; want an error", tt.name, doc)
			}
			if doc != nil {
				t.Errorf("Document returned output %s with its error", doc)
			}
		})
	}
}

func TestPublished(t *testing.T) {
	keys := []storage.SigningKey{
		fakeKey("a", storage.UseAccessToken, storage.KeyRetired, testNow, testNow),
		fakeKey("b", storage.UseAccessToken, "deleted", testNow, time.Time{}),
		fakeKey("c", storage.UseAccessToken, storage.KeyCurrent, testNow, testNow),
		fakeKey("d", storage.UseIDToken, storage.KeyCurrent, testNow, testNow),
		fakeKey("e", storage.UseAccessToken, storage.KeyNext, testNow, time.Time{}),
		fakeKey("f", storage.UseAccessToken, "", testNow, time.Time{}),
	}
	if diff := cmp.Diff([]string{"a", "c", "d", "e"}, kids(Published(keys))); diff != "" {
		t.Errorf("Published (-want +got):\n%s", diff)
	}
	if got := Published(nil); len(got) != 0 {
		t.Errorf("Published(nil) = %v; want none", got)
	}
}

func TestCurrent(t *testing.T) {
	t0, t1, t2 := testNow, testNow.Add(time.Hour), testNow.Add(2*time.Hour)
	acc, id := storage.UseAccessToken, storage.UseIDToken
	tests := []struct {
		name    string
		keys    []storage.SigningKey
		use     storage.KeyUse
		want    string
		wantErr error
	}{
		{"none", nil, acc, "", ErrNoCurrentKey},
		{"only next and retired", []storage.SigningKey{
			fakeKey("a", acc, storage.KeyRetired, t0, t0),
			fakeKey("b", acc, storage.KeyNext, t1, time.Time{}),
		}, acc, "", ErrNoCurrentKey},
		{"one current", []storage.SigningKey{
			fakeKey("a", acc, storage.KeyRetired, t0, t0),
			fakeKey("b", acc, storage.KeyCurrent, t1, t1),
			fakeKey("c", acc, storage.KeyNext, t2, time.Time{}),
		}, acc, "b", nil},
		{"by use", []storage.SigningKey{
			fakeKey("a", acc, storage.KeyCurrent, t0, t0),
			fakeKey("b", id, storage.KeyCurrent, t0, t0),
		}, id, "b", nil},
		{"other use only", []storage.SigningKey{
			fakeKey("a", acc, storage.KeyCurrent, t0, t0),
		}, id, "", ErrNoCurrentKey},
		{"two current: latest activated", []storage.SigningKey{
			fakeKey("new", acc, storage.KeyCurrent, t0, t2),
			fakeKey("old", acc, storage.KeyCurrent, t1, t1),
		}, acc, "new", nil},
		{"two current, same activation: latest created", []storage.SigningKey{
			fakeKey("b", acc, storage.KeyCurrent, t1, t2),
			fakeKey("a", acc, storage.KeyCurrent, t0, t2),
		}, acc, "b", nil},
		{"two current, all equal: greater kid", []storage.SigningKey{
			fakeKey("y", acc, storage.KeyCurrent, t1, t1),
			fakeKey("z", acc, storage.KeyCurrent, t1, t1),
			fakeKey("x", acc, storage.KeyCurrent, t1, t1),
		}, acc, "z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Current(tt.keys, tt.use)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Current(%v, %q) = %v; want %v", kids(tt.keys), tt.use, err, tt.wantErr)
			}
			if got.KID != tt.want {
				t.Errorf("Current(%v, %q) = %q; want %q", kids(tt.keys), tt.use, got.KID, tt.want)
			}
		})
	}
}

func TestCacheMaxAge(t *testing.T) {
	tests := []struct {
		period, want time.Duration
	}{
		{-time.Hour, time.Minute},
		{0, time.Minute},
		{time.Minute, time.Minute},
		{4 * time.Minute, time.Minute},
		{4*time.Minute + 3*time.Second, time.Minute}, // 60.75s truncated
		{401 * time.Second, 100 * time.Second},       // 100.25s truncated
		{10 * time.Minute, 150 * time.Second},
		{time.Hour, 15 * time.Minute},
		{4 * time.Hour, time.Hour},
		{24 * time.Hour, time.Hour},
		{90 * 24 * time.Hour, time.Hour},
	}
	for _, tt := range tests {
		if got := CacheMaxAge(tt.period); got != tt.want {
			t.Errorf("CacheMaxAge(%v) = %v; want %v", tt.period, got, tt.want)
		}
	}
	// The invariant it exists for: from 4 minutes up, a next key made one
	// rotation period ahead is published for two cache lifetimes with half
	// the period to spare, and the value is whole seconds within bounds.
	for p := 4 * time.Minute; p <= 30*24*time.Hour; p = p*3/2 + time.Second {
		got := CacheMaxAge(p)
		if 2*got > p/2 || got < MinCacheMaxAge || got > MaxCacheMaxAge || got%time.Second != 0 {
			t.Errorf("CacheMaxAge(%v) = %v breaks 60s <= 2*max-age <= period/2, max-age <= 1h, whole seconds", p, got)
		}
	}
}
