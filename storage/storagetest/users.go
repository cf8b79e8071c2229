package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/edgeauth/edgeauth/storage"
	"github.com/google/go-cmp/cmp"
)

func testUsers(t *testing.T, s storage.Store) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		tenant := newTenant(t, s)
		tests := []struct {
			name string
			in   storage.User
			want storage.User
		}{
			{
				name: "all fields",
				in: storage.User{TenantID: tenant, ID: "u1", Username: "Ålice@example", Email: "alice@example.com", EmailVerified: true,
					Name: "Ålice \"A\" Example", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", Roles: []string{"admin", "ops, \"quoted\""},
					CreatedAt: zoned(0), UpdatedAt: zoned(time.Second)},
				want: storage.User{TenantID: tenant, ID: "u1", Username: "Ålice@example", Email: "alice@example.com", EmailVerified: true,
					Name: "Ålice \"A\" Example", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", Roles: []string{"admin", "ops, \"quoted\""},
					CreatedAt: norm(zoned(0)), UpdatedAt: norm(zoned(time.Second))},
			},
			{
				name: "empty roles come back nil",
				in:   storage.User{TenantID: tenant, ID: "u2", Username: "bob", Roles: []string{}},
				want: storage.User{TenantID: tenant, ID: "u2", Username: "bob"},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := s.CreateUser(ctx, tt.in); err != nil {
					t.Fatalf("CreateUser(%q) = %v; want nil", tt.in.ID, err)
				}
				got, err := s.GetUser(ctx, tenant, tt.in.ID)
				if err != nil {
					t.Fatalf("GetUser(%q) = %v; want nil", tt.in.ID, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("GetUser(%q) mismatch (-want +got):\n%s", tt.in.ID, diff)
				}
				checkTimes(t, call("GetUser", tt.in.ID), map[string]time.Time{"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt})
				got, err = userByName(s, tenant, tt.in.Username)
				if err != nil {
					t.Fatalf("GetLoginState(%q).User: %v; want a user", tt.in.Username, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("GetLoginState(%q).User mismatch (-want +got):\n%s", tt.in.Username, diff)
				}
			})
		}
	})

	t.Run("Errors", func(t *testing.T) {
		tenant, other := newTenant(t, s), newTenant(t, s)
		if err := s.CreateUser(ctx, storage.User{TenantID: tenant, ID: "u1", Username: "carol"}); err != nil {
			t.Fatalf("CreateUser(%q) = %v; want nil", "u1", err)
		}
		missingTenant := "st-missing-" + suffix()
		tests := []struct {
			name string
			err  error
			want error
		}{
			{"CreateUser with a taken id", s.CreateUser(ctx, storage.User{TenantID: tenant, ID: "u1", Username: "dave"}), storage.ErrAlreadyExists},
			{"CreateUser with a taken username", s.CreateUser(ctx, storage.User{TenantID: tenant, ID: "u2", Username: "carol"}), storage.ErrAlreadyExists},
			{"CreateUser with the username of another tenant", s.CreateUser(ctx, storage.User{TenantID: other, ID: "u2", Username: "carol"}), nil},
			{"CreateUser in a missing tenant", s.CreateUser(ctx, storage.User{TenantID: missingTenant, ID: "u1", Username: "x"}), storage.ErrNotFound},
			{call("GetUser", tenant, "nope"), func() error { _, err := s.GetUser(ctx, tenant, "nope"); return err }(), storage.ErrNotFound},
			{call("GetLoginState", tenant, "nope") + ".User", func() error { _, err := userByName(s, tenant, "nope"); return err }(), storage.ErrNotFound},
			{call("DeleteUser", tenant, "nope"), s.DeleteUser(ctx, tenant, "nope"), storage.ErrNotFound},
		}
		for _, tt := range tests {
			checkErr(t, tt.name, tt.err, tt.want)
		}
		// The failed creates changed nothing.
		got, err := userByName(s, tenant, "carol")
		if err != nil || got.ID != "u1" {
			t.Errorf("GetLoginState(%q).User = %+v, %v; want user u1", "carol", got, err)
		}
		if _, err := s.GetUser(ctx, tenant, "u2"); err == nil {
			t.Errorf("GetUser(%q) found a user created with a taken username", "u2")
		}
	})

	t.Run("Patch", func(t *testing.T) {
		tenant := newTenant(t, s)
		if err := s.CreateUser(ctx, storage.User{TenantID: tenant, ID: "u", Username: "u", Email: "a@example.com", EmailVerified: true,
			Name: "A", Roles: []string{"r1"}, PasswordHash: "h", CreatedAt: base, UpdatedAt: base}); err != nil {
			t.Fatal(err)
		}
		str := func(v string) *string { return &v }
		yes, no := true, false
		steps := []struct {
			name string
			p    storage.UserPatch
			want func(u *storage.User)
		}{
			{"nothing but the time", storage.UserPatch{At: zoned(time.Minute)}, func(u *storage.User) {}},
			{"the name", storage.UserPatch{Name: str("Ann"), At: zoned(time.Minute)}, func(u *storage.User) { u.Name = "Ann" }},
			{"the same address keeps its verification", storage.UserPatch{Email: str("a@example.com"), At: zoned(time.Minute)}, func(u *storage.User) {}},
			{"a new address is unverified", storage.UserPatch{Email: str("b@example.com"), At: zoned(time.Minute)},
				func(u *storage.User) { u.Email, u.EmailVerified = "b@example.com", false }},
			{"verified", storage.UserPatch{EmailVerified: &yes, At: zoned(time.Minute)}, func(u *storage.User) { u.EmailVerified = true }},
			{"roles, emptied", storage.UserPatch{Roles: &[]string{}, At: zoned(time.Minute)}, func(u *storage.User) { u.Roles = nil }},
			{"a new address said verified", storage.UserPatch{Email: str("c@example.com"), EmailVerified: &yes, At: zoned(time.Minute)},
				func(u *storage.User) { u.Email, u.EmailVerified = "c@example.com", true }},
			{"no address is never verified", storage.UserPatch{Email: str(""), EmailVerified: &yes, At: zoned(time.Minute)},
				func(u *storage.User) { u.Email, u.EmailVerified = "", false }},
			{"unverified", storage.UserPatch{Email: str("d@example.com"), EmailVerified: &no, At: zoned(time.Minute)},
				func(u *storage.User) { u.Email = "d@example.com" }},
		}
		want := storage.User{TenantID: tenant, ID: "u", Username: "u", Email: "a@example.com", EmailVerified: true, Name: "A",
			Roles: []string{"r1"}, PasswordHash: "h", CreatedAt: base, UpdatedAt: norm(zoned(time.Minute))}
		for _, st := range steps {
			st.want(&want)
			got, err := s.PatchUser(ctx, tenant, "u", st.p)
			if err != nil {
				t.Fatalf("PatchUser(%s) = %v", st.name, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("PatchUser(%s) mismatch (-want +got):\n%s", st.name, diff)
			}
			if stored, _ := s.GetUser(ctx, tenant, "u"); !cmp.Equal(want, stored) {
				t.Errorf("GetUser after PatchUser(%s) = %+v; want %+v", st.name, stored, want)
			}
		}
		_, err := s.PatchUser(ctx, tenant, "nope", storage.UserPatch{Name: str("x")})
		checkErr(t, call("PatchUser", tenant, "nope"), err, storage.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		tenant := newTenant(t, s)
		id := newUser(t, s, tenant)
		checkErr(t, call("DeleteUser", tenant, id), s.DeleteUser(ctx, tenant, id), nil)
		_, err := s.GetUser(ctx, tenant, id)
		checkErr(t, call("GetUser", tenant, id)+" after delete", err, storage.ErrNotFound)
		checkErr(t, call("DeleteUser", tenant, id)+" again", s.DeleteUser(ctx, tenant, id), storage.ErrNotFound)
		// The username is free again.
		checkErr(t, "CreateUser reusing a deleted username",
			s.CreateUser(ctx, storage.User{TenantID: tenant, ID: id + "-2", Username: id}), nil)
	})
}
