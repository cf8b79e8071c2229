//go:build !js

package connections

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/edgeauth/edgeauth/storage"
)

// alice is an upstream profile with a verified address.
func alice() Profile {
	return Profile{Subject: "sub-alice", Email: "Alice@Corp.Example", EmailVerified: true, Name: "Alice",
		Token: &oauth2.Token{AccessToken: "at", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour)}}
}

// TestSignInCreatesThenReuses: the first sign-in creates a user (when the
// connection may), the second signs in as the same user and refreshes its
// profile; the upstream tokens are kept only when the connection asks.
func TestSignInCreatesThenReuses(t *testing.T) {
	b, st, tenant := newTestBroker(t, 0)
	c := connection(t, b, st, storage.KindGoogle, "", true)
	first, err := b.SignIn(t.Context(), tenant, c, alice())
	if err != nil || !first.Created || first.User.Username != c.ID+":sub-alice" || first.User.Email != "Alice@Corp.Example" ||
		!first.User.EmailVerified || first.User.Name != "Alice" || first.User.PasswordHash != "" {
		t.Fatalf("first SignIn = %+v, %v; want a new user with the upstream profile and no password", first, err)
	}
	p := alice()
	p.Name, p.Email, p.EmailVerified = "Alice Renamed", "alice@new.example", false
	second, err := b.SignIn(t.Context(), tenant, c, p)
	if err != nil || second.Created || second.Linked || second.User.ID != first.User.ID {
		t.Fatalf("second SignIn = %+v, %v; want the same user", second, err)
	}
	stored, err := st.GetUser(t.Context(), "t", first.User.ID)
	if err != nil || stored.Name != "Alice Renamed" || stored.Email != "alice@new.example" || stored.EmailVerified {
		t.Errorf("user after the second sign-in = %+v, %v; want the new profile", stored, err)
	}
	if second.User.Name != stored.Name || second.User.Email != stored.Email {
		t.Errorf("SignIn's user %+v differs from the stored one %+v", second.User, stored)
	}
	id, _, err := st.GetIdentity(t.Context(), "t", c.ID, "sub-alice")
	if err != nil || id.TokensSealed != nil {
		t.Errorf("identity = %+v, %v; want no tokens kept (the connection does not store them)", id, err)
	}
}

// TestSignInStoresTokensSealed: a connection that stores tokens keeps
// them sealed for the identity, until the access token expires.
func TestSignInStoresTokensSealed(t *testing.T) {
	b, st, tenant := newTestBroker(t, 0)
	c := connection(t, b, st, storage.KindGoogle, "", true)
	c.StoreTokens = true
	p := alice()
	if _, err := b.SignIn(t.Context(), tenant, c, p); err != nil {
		t.Fatal(err)
	}
	id, _, err := st.GetIdentity(t.Context(), "t", c.ID, p.Subject)
	if err != nil || id.TokensSealed == nil || !id.TokensExpireAt.Equal(p.Token.Expiry.UTC().Truncate(time.Second)) {
		t.Fatalf("identity = %+v, %v; want sealed tokens until the access token's expiry", id, err)
	}
	if strings.Contains(string(id.TokensSealed), "rt") && strings.Contains(string(id.TokensSealed), "refresh_token") {
		t.Errorf("the stored tokens are in the clear")
	}
	plain, err := b.box.open(ad(labelTokens, "t", c.ID, p.Subject), id.TokensSealed)
	if err != nil || !strings.Contains(string(plain), `"refresh_token":"rt"`) {
		t.Errorf("opening the tokens = %s, %v; want them", plain, err)
	}
	if _, err := b.box.open(ad(labelTokens, "t", c.ID, "someone-else"), id.TokensSealed); err == nil {
		t.Errorf("tokens opened for another subject")
	}
}

// TestSignInLinking: a first sign-in links to an existing user only under
// the tenant's rule, only by a verified upstream address, and only to a
// user whose own address is verified; otherwise it creates a user or, when
// the connection may not, fails with ErrNoAccount.
func TestSignInLinking(t *testing.T) {
	ctx := context.Background()
	b, st, tenant := newTestBroker(t, 0)
	mkUser := func(id, email string, verified bool) {
		if err := st.CreateUser(ctx, storage.User{TenantID: "t", ID: id, Username: id, Email: email, EmailVerified: verified, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	mkUser("admin-made", "alice@corp.example", true)
	mkUser("unverified", "bob@corp.example", false)
	linking := tenant
	linking.Settings.LinkIdentities = "verified_email"

	t.Run("verified address: linked", func(t *testing.T) {
		c := connection(t, b, st, storage.KindGoogle, "", false)
		acc, err := b.SignIn(ctx, linking, c, alice())
		if err != nil || acc.User.ID != "admin-made" || !acc.Linked {
			t.Fatalf("SignIn = %+v, %v; want linked to admin-made", acc, err)
		}
		if acc.User.PasswordHash != "x" {
			t.Errorf("the linked user lost its password")
		}
		again, err := b.SignIn(ctx, linking, c, alice())
		if err != nil || again.User.ID != "admin-made" || again.Linked || again.Created {
			t.Errorf("second SignIn = %+v, %v; want admin-made, neither linked nor created again", again, err)
		}
		// Another account of the same connection with the same address
		// cannot take the user over.
		p := alice()
		p.Subject = "sub-mallory"
		if _, err := b.SignIn(ctx, linking, c, p); !errors.Is(err, ErrLinkConflict) {
			t.Errorf("SignIn of another account with alice's address = %v; want ErrLinkConflict", err)
		}
	})
	t.Run("unverified upstream address: never linked", func(t *testing.T) {
		c := connection(t, b, st, storage.KindGoogle, "", false)
		p := alice()
		p.EmailVerified = false
		if acc, err := b.SignIn(ctx, linking, c, p); !errors.Is(err, ErrNoAccount) {
			t.Errorf("SignIn with an unverified address = %+v, %v; want ErrNoAccount", acc, err)
		}
		c2 := connection(t, b, st, storage.KindGoogle, "", true)
		acc, err := b.SignIn(ctx, linking, c2, p)
		if err != nil || acc.User.ID == "admin-made" || !acc.Created {
			t.Errorf("SignIn with an unverified address, creating = %+v, %v; want a new user", acc, err)
		}
	})
	t.Run("a user whose own address is unverified: never linked", func(t *testing.T) {
		c := connection(t, b, st, storage.KindGoogle, "", false)
		p := alice()
		p.Subject, p.Email = "sub-bob", "bob@corp.example"
		if acc, err := b.SignIn(ctx, linking, c, p); !errors.Is(err, ErrNoAccount) {
			t.Errorf("SignIn = %+v, %v; want ErrNoAccount", acc, err)
		}
	})
	// Last: the new user has alice's verified address too, so from now
	// on two users have it, and nothing links by it any more.
	t.Run("no rule: a new user", func(t *testing.T) {
		c := connection(t, b, st, storage.KindGoogle, "", true)
		acc, err := b.SignIn(ctx, tenant, c, alice())
		if err != nil || acc.User.ID == "admin-made" || !acc.Created {
			t.Errorf("SignIn = %+v, %v; want a new user, not the admin-made one", acc, err)
		}
	})
}

// TestSignInAfterUnlink: an account unlinked from its user signs in
// again as a new user (the connection creates users), although the old
// user keeps the username.
func TestSignInAfterUnlink(t *testing.T) {
	b, st, tenant := newTestBroker(t, 0)
	c := connection(t, b, st, storage.KindGitHub, "", true)
	p := Profile{Subject: "4242", Name: "Octo"}
	first, err := b.SignIn(t.Context(), tenant, c, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteIdentity(t.Context(), "t", first.User.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	second, err := b.SignIn(t.Context(), tenant, c, p)
	if err != nil || !second.Created || second.User.ID == first.User.ID || !strings.HasPrefix(second.User.Username, c.ID+":4242:") {
		t.Errorf("SignIn after unlink = %+v, %v; want a new user with a suffixed username", second, err)
	}
}

// TestSignInBadProfile: an upstream profile without a usable subject
// signs no one in; odd names and addresses are cleaned or dropped.
func TestSignInBadProfile(t *testing.T) {
	b, st, tenant := newTestBroker(t, 0)
	c := connection(t, b, st, storage.KindGoogle, "", true)
	for _, sub := range []string{"", strings.Repeat("x", 256), "a\nb"} {
		if _, err := b.SignIn(t.Context(), tenant, c, Profile{Subject: sub}); !errors.Is(err, ErrProfile) {
			t.Errorf("SignIn with subject %q = %v; want ErrProfile", sub, err)
		}
	}
	acc, err := b.SignIn(t.Context(), tenant, c, Profile{Subject: "s", Name: "Eve\u202e\x07 " + strings.Repeat("n", 300), Email: "not an address", EmailVerified: true})
	if err != nil || strings.ContainsAny(acc.User.Name, "\u202e\x07") || len([]rune(acc.User.Name)) > maxName || acc.User.Email != "" || acc.User.EmailVerified {
		t.Errorf("SignIn with an odd profile = %+v, %v; want a clean name and no address", acc.User, err)
	}
}

// TestSignInConcurrentFirst: concurrent first sign-ins of one account
// make one user.
func TestSignInConcurrentFirst(t *testing.T) {
	b, st, tenant := newTestBroker(t, 0)
	c := connection(t, b, st, storage.KindGoogle, "", true)
	const n = 20
	ids := make(chan string, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			acc, err := b.SignIn(context.Background(), tenant, c, alice())
			ids <- acc.User.ID
			errs <- err
		}()
	}
	seen := map[string]bool{}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("SignIn = %v", err)
		}
		seen[<-ids] = true
	}
	if len(seen) != 1 {
		t.Errorf("concurrent first sign-ins made %d users; want 1", len(seen))
	}
}
