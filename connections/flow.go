package connections

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/edgeauth/edgeauth/internal/secret"
	"github.com/edgeauth/edgeauth/storage"
)

// Attempt is one upstream sign-in's secrets, made by NewAttempt and kept
// by the caller, bound to the browser, until the callback: the state that
// comes back with the response (RFC 6749 §10.12), the nonce the ID token
// must carry (OIDC Core §3.1.2.1) and the PKCE verifier (RFC 7636).
type Attempt struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
}

// NewAttempt returns a fresh Attempt: 256 random bits each.
func (b *Broker) NewAttempt() (Attempt, error) {
	state, err := secret.New(b.cfg.Rand, 32)
	if err != nil {
		return Attempt{}, err
	}
	nonce, err := secret.New(b.cfg.Rand, 32)
	if err != nil {
		return Attempt{}, err
	}
	return Attempt{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier()}, nil
}

// Start is what AuthURL needs besides the connection.
type Start struct {
	// RedirectURI is the callback registered at the upstream:
	// {issuer}/callback/{connection}.
	RedirectURI string
	Attempt     Attempt
	// Login asks an OIDC upstream for a new sign-in (prompt=login): the
	// request being served asked for one (OIDC Core §3.1.2.1).
	Login bool
}

// Response is the authorization response at the callback (RFC 6749
// §4.1.2), without its state, which the caller has compared.
type Response struct {
	Code string
	// Issuer is the response's iss (RFC 9207), "" when it has none.
	Issuer string
}

// Profile is who signed in upstream.
type Profile struct {
	// Subject is the upstream's id of the account: the ID token's sub,
	// GitHub's numeric user id.
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	// Token is what the upstream's token endpoint answered.
	Token *oauth2.Token
}

// maxSubject bounds an upstream subject (OIDC Core §2: at most 255 ASCII
// characters).
const maxSubject = 255

// config is the x/oauth2 configuration of c at e.
func (b *Broker) config(c storage.Connection, e endpoints, redirectURI string) (*oauth2.Config, error) {
	secret, err := b.clientSecret(c)
	if err != nil {
		return nil, err
	}
	style := e.authStyle
	if secret == "" {
		// A public client at the upstream sends its client_id in the body
		// (RFC 6749 §3.2.1), not Basic with an empty password.
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID: c.ClientID, ClientSecret: secret, RedirectURL: redirectURI, Scopes: Scopes(c),
		Endpoint: oauth2.Endpoint{AuthURL: e.authURL, TokenURL: e.tokenURL, AuthStyle: style},
	}, nil
}

// AuthURL returns where to send the browser to sign in at c's upstream:
// its authorization endpoint with the state, the PKCE challenge (S256)
// and, for OpenID Connect, the nonce. For an OIDC connection it may fetch
// the issuer's discovery document (ErrUnavailable when that fails).
func (b *Broker) AuthURL(ctx context.Context, c storage.Connection, s Start) (string, error) {
	if b.client == nil {
		return "", ErrDisabled
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	e, err := b.endpoints(b.withClient(ctx), c)
	if err != nil {
		return "", err
	}
	if err := b.checkRawURL(e.authURL); err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	conf, err := b.config(c, e, s.RedirectURI)
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(s.Attempt.Verifier)}
	if e.issuer != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", s.Attempt.Nonce))
		if s.Login {
			opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"))
		}
	}
	return conf.AuthCodeURL(s.Attempt.State, opts...), nil
}

// withClient carries b's guarded client to x/oauth2.
func (b *Broker) withClient(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, b.client)
}

// Finish completes a sign-in at c's upstream from the authorization
// response r, for the Attempt a the request was sent with: it checks the
// response's issuer (RFC 9207), exchanges the code with the PKCE verifier
// (x/oauth2), and reads who signed in: from the verified ID token (OIDC
// Core §3.1.3.7; userinfo when the token has no e-mail), or from GitHub's
// user API. Its calls upstream take at most Config.Timeout together.
func (b *Broker) Finish(ctx context.Context, c storage.Connection, redirectURI string, a Attempt, r Response) (Profile, error) {
	if b.client == nil {
		return Profile{}, ErrDisabled
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	ctx = b.withClient(ctx)
	e, err := b.endpoints(ctx, c)
	if err != nil {
		return Profile{}, err
	}
	if e.issuer != "" {
		// RFC 9207 §2.4: an iss that does not name the issuer MUST be
		// refused, and so must a response without iss from an issuer that
		// says it sends one: another server's response (mix-up, RFC 9700
		// §4.4).
		if r.Issuer != "" && r.Issuer != e.issuer || r.Issuer == "" && e.issParameter {
			return Profile{}, fmt.Errorf("%w: the response's iss %q is not %q", ErrIDToken, r.Issuer, e.issuer)
		}
	}
	conf, err := b.config(c, e, redirectURI)
	if err != nil {
		return Profile{}, err
	}
	tok, err := conf.Exchange(ctx, r.Code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		return Profile{}, exchangeError(ctx, err)
	}
	var p Profile
	if e.issuer == "" {
		p, err = b.githubProfile(ctx, e.apiURL, tok)
	} else {
		p, err = b.oidcProfile(ctx, e, tok, idTokenCheck{e: e, clientID: c.ClientID, nonce: a.Nonce})
	}
	if err != nil {
		return Profile{}, timeoutError(ctx, err)
	}
	p.Token = tok
	return p, nil
}

// exchangeError classifies an error of the code exchange: a refusal of
// the token endpoint (an OAuth error, a 4xx) is ErrRefused, anything else
// (no answer, a 5xx, a redirect, garbage) ErrUnavailable.
func exchangeError(ctx context.Context, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if status < 300 && re.ErrorCode != "" || status >= 400 && status < 500 {
			return fmt.Errorf("%w: the token endpoint answered %d %q", ErrRefused, status, re.ErrorCode)
		}
		return timeoutError(ctx, fmt.Errorf("%w: the token endpoint answered status %d", ErrUnavailable, status))
	}
	if errors.Is(err, ErrForbiddenURL) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return timeoutError(ctx, fmt.Errorf("%w: token endpoint: %w", ErrUnavailable, err))
}

// timeoutError adds the context's error to err when the sign-in ran out
// of time, so that callers can tell a slow upstream by
// errors.Is(err, context.DeadlineExceeded).
func timeoutError(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	return err
}

// oidcProfile verifies the ID token of tok and reads the profile from
// it, and from userinfo when it holds no e-mail address.
func (b *Broker) oidcProfile(ctx context.Context, e endpoints, tok *oauth2.Token, want idTokenCheck) (Profile, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Profile{}, fmt.Errorf("%w: the token response has no id_token", ErrIDToken)
	}
	c, err := b.verifyIDToken(ctx, raw, want)
	if err != nil {
		return Profile{}, err
	}
	p := Profile{Subject: c.Subject, Email: c.Email, EmailVerified: bool(c.EmailVerified), Name: c.Name}
	if p.Email != "" || e.userinfoURL == "" {
		return p, nil
	}
	var ui idClaims
	err = b.getJSON(ctx, e.userinfoURL, func(h http.Header) { tok.SetAuthHeader(&http.Request{Header: h}) }, &ui)
	switch {
	case err != nil:
		return Profile{}, fmt.Errorf("userinfo: %w", err)
	// OIDC Core §5.3.2: the sub of the answer MUST be the ID token's, or
	// the answer MUST NOT be used.
	case ui.Subject != c.Subject:
		return Profile{}, fmt.Errorf("%w: userinfo names another subject", ErrIDToken)
	}
	p.Email, p.EmailVerified = ui.Email, bool(ui.EmailVerified)
	if p.Name == "" {
		p.Name = ui.Name
	}
	return p, nil
}
