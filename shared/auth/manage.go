package auth

import (
	"slices"
	"time"

	"github.com/berth-dev/berth/shared/validation"
)

// Limits on what a token may be created with.
const (
	MaxTokenOrganisations = 20
	MaxTokenLifetime      = 366 * 24 * time.Hour
	MaxDescriptionLength  = 256
)

// CreateTokenRequest is the body of POST /tokens.
type CreateTokenRequest struct {
	Role          string     `json:"role"`
	Organisations []string   `json:"organisations"`
	Description   *string    `json:"description"`
	ExpiresAt     *time.Time `json:"expiresAt"`
}

// NewToken checks req, made by creator on organisation org, and returns
// the token record and the token string to show once. A token can reach
// only organisations its creator reaches; org is the default.
func NewToken(req CreateTokenRequest, org string, creator Principal, validOrg func(string) bool, now time.Time) (Token, string, error) {
	errs := validation.Errors{}
	role := Role(req.Role)
	switch {
	case req.Role == "":
		errs.Add("role", "is required")
	case !role.Valid():
		errs.Add("role", "must be one of read, write, admin")
	}
	orgs := req.Organisations
	if orgs == nil {
		orgs = []string{org}
	}
	seen := map[string]bool{}
	switch {
	case len(orgs) == 0:
		errs.Add("organisations", "must name at least one organisation")
	case len(orgs) > MaxTokenOrganisations:
		errs.Addf("organisations", "must name at most %d organisations", MaxTokenOrganisations)
	}
	if len(orgs) > 0 && !slices.Contains(orgs, org) {
		errs.Addf("organisations", "must include %s, the organisation the token is created under", org)
	}
	for i, o := range orgs {
		p := validation.Index("organisations", i)
		switch {
		case !validOrg(o):
			errs.Add(p, "must be an organisation name")
		case seen[o]:
			errs.Add(p, "must not repeat an organisation")
		case !creator.Member(o):
			errs.Add(p, "must be an organisation the creating token may act on")
		}
		seen[o] = true
	}
	if req.Description != nil && len(*req.Description) > MaxDescriptionLength {
		errs.Addf("description", "must be at most %d bytes", MaxDescriptionLength)
	}
	if e := req.ExpiresAt; e != nil && (!e.After(now) || e.Sub(now) > MaxTokenLifetime) {
		errs.Add("expiresAt", "must be in the future and at most 366 days away")
	}
	// A token cannot outlive the token that creates it.
	expires := req.ExpiresAt
	if c := creator.ExpiresAt; c != nil {
		if expires == nil {
			expires = c
		} else if expires.After(*c) {
			errs.Addf("expiresAt", "must not be later than the creating token's expiry, %s", c.UTC().Format(time.RFC3339))
		}
	}
	if err := errs.Err(); err != nil {
		return Token{}, "", err
	}
	token, id, secret := NewSecret()
	t := Token{ID: id, SecretHash: HashSecret(secret), Organisations: orgs, Role: role, CreatedAt: now.UTC()}
	if req.Description != nil {
		t.Description = *req.Description
	}
	if expires != nil {
		e := expires.UTC()
		t.ExpiresAt = &e
	}
	return t, token, nil
}
