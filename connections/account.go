package connections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
)

// Account is the user an upstream sign-in signed in as.
type Account struct {
	User storage.User
	// Created: the sign-in created the user (just in time); Linked: it
	// linked the upstream account to an existing user.
	Created, Linked bool
}

// Bounds of the upstream profile kept.
const (
	maxEmail = 254
	maxName  = 200
	// tokensTTL is how long upstream tokens without an expiry are kept.
	tokensTTL = time.Hour
	// signInAttempts bounds SignIn's rereads when concurrent sign-ins or
	// an unlink race with it.
	signInAttempts = 3
)

// SignIn finds the user of the upstream account p at connection c of
// tenant t, links or creates one on its first sign-in, and stores the
// sign-in. An account signed in before is its user's, whatever its
// address says now. A first sign-in links to an existing user only under
// the tenant's rule (LinkIdentities "verified_email": the upstream says
// the address is verified, and exactly one user has it, verified too),
// and otherwise creates a user when c allows it (ErrNoAccount when not).
// A new user's username is "{connection}:{subject}", which no admin-made
// username can be (no colon), and it has no password. Every sign-in copies
// the upstream's address, its verification and the name to the user, and
// keeps the upstream's tokens, sealed, only when c asks.
func (b *Broker) SignIn(ctx context.Context, t storage.Tenant, c storage.Connection, p Profile) (Account, error) {
	if p.Subject == "" || len(p.Subject) > maxSubject || strings.ContainsFunc(p.Subject, unicode.IsControl) {
		return Account{}, fmt.Errorf("%w: subject missing, longer than %d bytes or with control characters", ErrProfile, maxSubject)
	}
	now := b.cfg.Now().UTC().Truncate(time.Second)
	id := storage.Identity{TenantID: t.ID, ConnectionID: c.ID, Subject: p.Subject, Name: cleanName(p.Name),
		CreatedAt: now, LastLoginAt: now}
	if email := cleanEmail(p.Email); email != "" {
		id.Email, id.EmailVerified = email, p.EmailVerified
	}
	if c.StoreTokens && p.Token != nil {
		sealed, expires, err := b.sealTokens(id, p, now)
		if err != nil {
			return Account{}, err
		}
		id.TokensSealed, id.TokensExpireAt = sealed, expires
	}
	for range signInAttempts {
		acc, err := b.signIn(ctx, t, c, id)
		if !errors.Is(err, errRetry) {
			return acc, err
		}
	}
	return Account{}, fmt.Errorf("connections: sign-in of %s kept changing under concurrent changes", c.ID)
}

// errRetry: a concurrent sign-in or unlink changed the identity; start
// again from its read.
var errRetry = errors.New("connections: retry")

// signIn is one pass of SignIn over the identity id (UserID not set).
func (b *Broker) signIn(ctx context.Context, t storage.Tenant, c storage.Connection, id storage.Identity) (Account, error) {
	st := b.cfg.Store
	old, user, err := st.GetIdentity(ctx, t.ID, c.ID, id.Subject)
	switch {
	case err == nil:
		id.UserID, id.CreatedAt = old.UserID, old.CreatedAt
		return b.update(ctx, Account{User: user}, id)
	case !errors.Is(err, storage.ErrNotFound):
		return Account{}, err
	}
	if t.Settings.LinkIdentities == "verified_email" && id.EmailVerified && id.Email != "" {
		// Never by an unverified address: whoever controls an upstream
		// account with someone's unverified address would become them.
		uid, err := st.CreateIdentity(ctx, storage.NewIdentity{Identity: id, LinkEmail: id.Email})
		switch {
		case err == nil:
			u, err := st.GetUser(ctx, t.ID, uid)
			if err != nil {
				return Account{}, err
			}
			id.UserID = uid
			return b.update(ctx, Account{User: u, Linked: true}, id)
		case errors.Is(err, storage.ErrAlreadyExists):
			// The subject was linked meanwhile (retry), or the user has
			// another account of this connection.
			if _, _, err := st.GetIdentity(ctx, t.ID, c.ID, id.Subject); err == nil {
				return Account{}, errRetry
			}
			return Account{}, ErrLinkConflict
		case !errors.Is(err, storage.ErrNotFound):
			return Account{}, err
		}
	}
	if !c.CreateUsers {
		return Account{}, ErrNoAccount
	}
	return b.create(ctx, t, c, id)
}

// create makes a user for the upstream account id (just in time), with
// its identity in the same atomic step.
func (b *Broker) create(ctx context.Context, t storage.Tenant, c storage.Connection, id storage.Identity) (Account, error) {
	uid, err := secret.New(b.cfg.Rand, 16)
	if err != nil {
		return Account{}, err
	}
	id.UserID = uid
	u := storage.User{TenantID: t.ID, ID: uid, Username: c.ID + ":" + id.Subject, Email: id.Email,
		EmailVerified: id.EmailVerified, Name: id.Name, CreatedAt: id.CreatedAt, UpdatedAt: id.CreatedAt}
	for try := 0; ; try++ {
		_, err = b.cfg.Store.CreateIdentity(ctx, storage.NewIdentity{Identity: id, User: &u})
		if !errors.Is(err, storage.ErrAlreadyExists) {
			break
		}
		if _, _, gerr := b.cfg.Store.GetIdentity(ctx, t.ID, c.ID, id.Subject); gerr == nil {
			return Account{}, errRetry // a concurrent first sign-in won
		}
		if try == 1 {
			return Account{}, err
		}
		// The username is taken: a user left behind when an admin
		// unlinked this account. The new one gets a suffix.
		suffix, serr := secret.New(b.cfg.Rand, 6)
		if serr != nil {
			return Account{}, serr
		}
		u.Username = c.ID + ":" + id.Subject + ":" + suffix
	}
	if err != nil {
		return Account{}, err
	}
	return Account{User: u, Created: true}, nil
}

// update stores a sign-in of an existing identity and copies the profile
// into acc's user as UpdateIdentity copies it into the stored one.
func (b *Broker) update(ctx context.Context, acc Account, id storage.Identity) (Account, error) {
	if err := b.cfg.Store.UpdateIdentity(ctx, id); errors.Is(err, storage.ErrNotFound) {
		return Account{}, errRetry // unlinked meanwhile
	} else if err != nil {
		return Account{}, err
	}
	if id.Email != "" {
		acc.User.Email, acc.User.EmailVerified = id.Email, id.EmailVerified
	}
	if id.Name != "" {
		acc.User.Name = id.Name
	}
	acc.User.UpdatedAt = id.LastLoginAt
	return acc, nil
}

// tokens is what is kept of an upstream's token response.
type tokens struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	IDToken      string    `json:"id_token,omitempty"`
}

// sealTokens seals p's tokens for the identity id, to be kept until the
// access token expires (tokensTTL from now when it does not say).
func (b *Broker) sealTokens(id storage.Identity, p Profile, now time.Time) ([]byte, time.Time, error) {
	tok := tokens{AccessToken: p.Token.AccessToken, TokenType: p.Token.TokenType, RefreshToken: p.Token.RefreshToken, Expiry: p.Token.Expiry}
	tok.IDToken, _ = p.Token.Extra("id_token").(string)
	plain, err := json.Marshal(tok)
	if err != nil {
		return nil, time.Time{}, err
	}
	expires := now.Add(tokensTTL)
	if !tok.Expiry.IsZero() {
		expires = tok.Expiry
	}
	return b.box.seal(ad(labelTokens, id.TenantID, id.ConnectionID, id.Subject), plain), expires, nil
}

// cleanName keeps a name an upstream gives fit to show: control and
// invisible characters removed, at most maxName characters.
func cleanName(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxName {
		s = string([]rune(s)[:maxName])
	}
	return s
}

// cleanEmail is an upstream's address when it looks like one (at most
// maxEmail bytes of printable ASCII or UTF-8, one @ with text on both
// sides, no space), else "".
func cleanEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if len(s) > maxEmail || at < 1 || at == len(s)-1 || !utf8.ValidString(s) ||
		strings.ContainsFunc(s, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '<' || r == '>'
		}) {
		return ""
	}
	return s
}
