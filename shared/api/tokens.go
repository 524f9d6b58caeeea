package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/audit"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/pattern"
)

// TokenStore keeps tokens for the token management routes.
type TokenStore interface {
	CreateToken(ctx context.Context, t auth.Token) error
	GetToken(ctx context.Context, id string) (auth.Token, error)
	ListTokens(ctx context.Context, org string, page apps.PageRequest) (apps.Page[auth.Token], error)
	RevokeToken(ctx context.Context, t auth.Token) error
}

var tokenIDRE = pattern.Compile(`^[0-9a-f]{16}$`)

type tokenView struct {
	TokenID       string     `json:"tokenId"`
	Role          auth.Role  `json:"role"`
	Organisations []string   `json:"organisations"`
	Description   string     `json:"description,omitempty"`
	ExpiresAt     *time.Time `json:"expiresAt,omitempty"`
	CreatedAt     time.Time  `json:"createdAt"`
	LastUsedAt    *time.Time `json:"lastUsedAt,omitempty"`
}

// createdTokenView is the only response that ever holds a token's secret.
type createdTokenView struct {
	tokenView
	Token string `json:"token"`
}

// newTokenView shows a token to viewer, naming only organisations the
// viewer may act on: a token's other organisations are not its business.
func newTokenView(t auth.Token, viewer auth.Principal) tokenView {
	orgs := []string{}
	for _, o := range t.Organisations {
		if viewer.Member(o) {
			orgs = append(orgs, o)
		}
	}
	return tokenView{TokenID: t.ID, Role: t.Role, Organisations: orgs, Description: t.Description,
		ExpiresAt: t.ExpiresAt, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt}
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	org := r.PathValue("organisation")
	var req auth.CreateTokenRequest
	if err := decodeBody(w, r, &req, FieldsStrict); err != nil {
		fail(w, r, err)
		return
	}
	tok, secret, err := auth.NewToken(req, org, principalFrom(r.Context()), apps.ValidOrganisation, s.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := s.Tokens.CreateToken(r.Context(), tok); err != nil {
		fail(w, r, err)
		return
	}
	if err := s.UsageKeys.Issue(r.Context(), tok.ID); err != nil {
		// A token without its usage plan key would be refused by API Gateway.
		if rmErr := s.Tokens.RevokeToken(r.Context(), tok); rmErr != nil {
			fail(w, r, errors.Join(err, rmErr))
			return
		}
		// The key may exist without its plan membership. A stray key is
		// harmless once its token is gone, so this is best effort.
		if wErr := s.UsageKeys.Withdraw(r.Context(), tok.ID); wErr != nil {
			noteError(r.Context(), fmt.Errorf("withdraw the usage key of token %s: %w", tok.ID, wErr))
		}
		fail(w, r, &apps.Error{Kind: apps.ErrUnavailable, Message: "the token could not be registered for throttling, so it was not created; retry the request", Cause: err})
		return
	}
	w.Header().Set("Location", publicPath(r, "/api/v3/organizations/"+org+"/tokens/"+tok.ID))
	writeJSON(w, http.StatusCreated, createdTokenView{tokenView: newTokenView(tok, principalFrom(r.Context())), Token: secret})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	page, err := pageRequest(r, tokensList)
	if err != nil {
		fail(w, r, err)
		return
	}
	res, err := s.Tokens.ListTokens(r.Context(), r.PathValue("organisation"), page)
	if err != nil {
		fail(w, r, err)
		return
	}
	body := struct {
		Tokens    []tokenView `json:"tokens"`
		NextToken string      `json:"nextToken,omitempty"`
	}{Tokens: []tokenView{}, NextToken: encodeToken(tokensList, res.Next)}
	for _, t := range res.Items {
		body.Tokens = append(body.Tokens, newTokenView(t, principalFrom(r.Context())))
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("token")
	if !tokenIDRE.MatchString(id) {
		fail(w, r, invalidField("token", "must be a token id: 16 hex digits"))
		return
	}
	tok, err := s.Tokens.GetToken(r.Context(), id)
	if errors.Is(err, auth.ErrNoToken) || err == nil && !slices.Contains(tok.Organisations, r.PathValue("organisation")) {
		fail(w, r, apps.NotFound("token %q does not exist", id))
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	caller := principalFrom(r.Context())
	for _, o := range tok.Organisations {
		if !caller.Member(o) {
			writeProblem(w, r, kindForbidden, "This token also acts on organisations this caller may not act on; revoke it with a token that covers them all.", nil)
			return
		}
	}
	// The usage plan key goes first: a failure then leaves the token whole,
	// and the client's retry finishes the job.
	if err := s.UsageKeys.Withdraw(r.Context(), tok.ID); err != nil {
		fail(w, r, &apps.Error{Kind: apps.ErrUnavailable, Message: "the token could not be revoked; it still works; retry the request", Cause: err})
		return
	}
	err = s.Tokens.RevokeToken(r.Context(), tok)
	if errors.Is(err, auth.ErrNoToken) { // a concurrent revoke won
		err = apps.NotFound("token %q does not exist", id)
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listAuditEvents(w http.ResponseWriter, r *http.Request) {
	page, err := pageRequest(r, auditList)
	if err != nil {
		fail(w, r, err)
		return
	}
	events, next, err := s.Audit.ListAudit(r.Context(), r.PathValue("organisation"), page.Limit, page.After)
	if err != nil {
		fail(w, r, err)
		return
	}
	if events == nil {
		events = []audit.Event{}
	}
	writeJSON(w, http.StatusOK, struct {
		AuditEvents []audit.Event `json:"auditEvents"`
		NextToken   string        `json:"nextToken,omitempty"`
	}{events, encodeToken(auditList, next)})
}
