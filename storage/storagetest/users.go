package storagetest

import (
	"context"
	"fmt"
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
					Disabled: true, CreatedAt: zoned(0), UpdatedAt: zoned(time.Second)},
				want: storage.User{TenantID: tenant, ID: "u1", Username: "Ålice@example", Email: "alice@example.com", EmailVerified: true,
					Name: "Ålice \"A\" Example", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", Roles: []string{"admin", "ops, \"quoted\""},
					Disabled: true, CreatedAt: norm(zoned(0)), UpdatedAt: norm(zoned(time.Second))},
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

	t.Run("List", func(t *testing.T) {
		tenant, other := newTenant(t, s), newTenant(t, s)
		// Created out of order; listed in the byte order of the usernames.
		names := []string{"bob", "alj", "alice", "Ålice", "al", "alicia", "a\uD7FFx", "a\uE000", "z\U0010FFFFq", "z\U0010FFFF"}
		for i, n := range names {
			if err := s.CreateUser(ctx, storage.User{TenantID: tenant, ID: fmt.Sprintf("u%d", i), Username: n}); err != nil {
				t.Fatalf("CreateUser(%q) = %v", n, err)
			}
		}
		if err := s.CreateUser(ctx, storage.User{TenantID: other, ID: "o", Username: "alice"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			q    storage.UserQuery
			want []string
		}{
			{storage.UserQuery{}, []string{"al", "alice", "alicia", "alj", "a\uD7FFx", "a\uE000", "bob", "z\U0010FFFF", "z\U0010FFFFq", "Ålice"}},
			{storage.UserQuery{Limit: 3}, []string{"al", "alice", "alicia"}},
			{storage.UserQuery{After: "alicia", Limit: 2}, []string{"alj", "a\uD7FFx"}},
			{storage.UserQuery{After: "Ålice"}, nil},
			{storage.UserQuery{Prefix: "ali"}, []string{"alice", "alicia"}},
			{storage.UserQuery{Prefix: "al"}, []string{"al", "alice", "alicia", "alj"}},
			{storage.UserQuery{Prefix: "al", After: "alice"}, []string{"alicia", "alj"}},
			{storage.UserQuery{Prefix: "alice"}, []string{"alice"}},
			{storage.UserQuery{Prefix: "Å"}, []string{"Ålice"}},
			{storage.UserQuery{Prefix: "a\uD7FF"}, []string{"a\uD7FFx"}},
			{storage.UserQuery{Prefix: "z\U0010FFFF"}, []string{"z\U0010FFFF", "z\U0010FFFFq"}},
			{storage.UserQuery{Prefix: "carol"}, nil},
		}
		for _, tt := range tests {
			users, err := s.ListUsers(ctx, tenant, tt.q)
			if err != nil {
				t.Fatalf("ListUsers(%+v) = %v", tt.q, err)
			}
			var got []string
			for _, u := range users {
				if u.TenantID != tenant {
					t.Errorf("ListUsers(%+v) returned a user of tenant %q", tt.q, u.TenantID)
				}
				got = append(got, u.Username)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ListUsers(%+v) mismatch (-want +got):\n%s", tt.q, diff)
			}
		}
		if users, err := s.ListUsers(ctx, "st-missing-"+suffix(), storage.UserQuery{}); err != nil || len(users) != 0 {
			t.Errorf("ListUsers(missing tenant) = %v, %v; want an empty page", users, err)
		}
		// A listed user is the whole user, as GetUser reads it.
		users, err := s.ListUsers(ctx, other, storage.UserQuery{})
		want, gerr := s.GetUser(ctx, other, "o")
		if err != nil || gerr != nil || len(users) != 1 || !cmp.Equal(users[0], want) {
			t.Errorf("ListUsers(other) = %+v, %v; want [%+v] (GetUser: %v)", users, err, want, gerr)
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

	t.Run("Disable", func(t *testing.T) {
		tenant := newTenant(t, s)
		client := newClient(t, s, tenant)
		user, other := newUser(t, s, tenant), newUser(t, s, tenant)
		for i, u := range []string{user, user, other} {
			id := fmt.Sprintf("s%d", i)
			if err := s.CreateSession(ctx, storage.Session{TenantID: tenant, ID: id, SecretHash: randBytes(32), UserID: u,
				AuthTime: base, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}, 10); err != nil {
				t.Fatalf("CreateSession(%q) = %v", id, err)
			}
			if err := s.CreateRefreshFamily(ctx, storage.RefreshFamily{TenantID: tenant, ID: "f" + id, ClientID: client, UserID: u,
				TokenHash: randBytes(32), CreatedAt: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
				t.Fatalf("CreateRefreshFamily = %v", err)
			}
		}
		at := base.Add(time.Minute)
		checkErr(t, "SetUserDisabled(true)", s.SetUserDisabled(ctx, tenant, user, true, zoned(time.Minute)), nil)
		u, err := s.GetUser(ctx, tenant, user)
		if err != nil || !u.Disabled || !u.UpdatedAt.Equal(at) {
			t.Errorf("GetUser after disabling: Disabled %v, UpdatedAt %v, %v; want true, %v", u.Disabled, u.UpdatedAt, err, at)
		}
		// Its sessions and grants ended in the same step; the other user's
		// did not.
		for id, want := range map[string]bool{"s0": true, "s1": true, "s2": false} {
			se, _, err := s.GetSession(ctx, tenant, id)
			if err != nil || se.RevokedAt.IsZero() != !want {
				t.Errorf("session %s after disabling its user: RevokedAt %v, %v; want revoked %v", id, se.RevokedAt, err, want)
			}
			f, err := s.GetRefreshFamily(ctx, tenant, "f"+id)
			if err != nil || f.RevokedAt.IsZero() != !want {
				t.Errorf("family f%s after disabling its user: RevokedAt %v, %v; want revoked %v", id, f.RevokedAt, err, want)
			}
		}
		checkErr(t, "SetUserDisabled(true) again", s.SetUserDisabled(ctx, tenant, user, true, at), nil)
		checkErr(t, "SetUserDisabled(false)", s.SetUserDisabled(ctx, tenant, user, false, at.Add(time.Minute)), nil)
		if u, err := s.GetUser(ctx, tenant, user); err != nil || u.Disabled {
			t.Errorf("GetUser after enabling: Disabled %v, %v; want false", u.Disabled, err)
		}
		// Enabling restores no session.
		if ss, err := s.ListSessions(ctx, tenant, user, at); err != nil || len(ss) != 0 {
			t.Errorf("ListSessions after enabling = %d sessions, %v; want 0", len(ss), err)
		}
		checkErr(t, "SetUserDisabled of a missing user", s.SetUserDisabled(ctx, tenant, "nope", true, at), storage.ErrNotFound)
		checkErr(t, "SetUserDisabled of a missing user (enable)", s.SetUserDisabled(ctx, tenant, "nope", false, at), storage.ErrNotFound)
	})
}
