package connections

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"golang.org/x/oauth2"
)

// githubUser is the part of GET /user a sign-in reads.
type githubUser struct {
	ID    *int64 `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name"`
}

// githubEmail is one entry of GET /user/emails.
type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// githubProfile reads who signed in from GitHub's REST API: the numeric
// user id is the subject (a login can be renamed and taken by someone
// else), the primary address of GET /user/emails the e-mail, verified as
// GitHub says. Without the user:email scope that list is refused (403 or
// 404): the profile then has no address.
func (b *Broker) githubProfile(ctx context.Context, api string, tok *oauth2.Token) (Profile, error) {
	auth := func(h http.Header) {
		h.Set("Authorization", "Bearer "+tok.AccessToken)
		h.Set("Accept", "application/vnd.github+json")
		h.Set("X-GitHub-Api-Version", "2022-11-28")
		h.Set("User-Agent", "edgeauth") // GitHub refuses requests without one
	}
	var u githubUser
	if err := b.getJSON(ctx, api+"/user", auth, &u); err != nil {
		return Profile{}, fmt.Errorf("github user: %w", err)
	}
	if u.ID == nil || *u.ID <= 0 {
		return Profile{}, fmt.Errorf("%w: GitHub's /user has no id", ErrProfile)
	}
	p := Profile{Subject: strconv.FormatInt(*u.ID, 10), Name: u.Name}
	if p.Name == "" {
		p.Name = u.Login
	}
	var emails []githubEmail
	err := b.getJSON(ctx, api+"/user/emails", auth, &emails)
	var se *statusError
	switch {
	case errors.As(err, &se) && (se.status == http.StatusForbidden || se.status == http.StatusNotFound):
		return p, nil // no user:email scope
	case err != nil:
		return Profile{}, fmt.Errorf("github emails: %w", err)
	}
	for i, e := range emails {
		if i == maxUserEmails {
			break
		}
		if e.Primary {
			p.Email, p.EmailVerified = e.Email, e.Verified
			break
		}
	}
	return p, nil
}
