package api

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/audit"
	"github.com/berth-dev/berth/shared/auth"
)

// TokenStore keeps tokens for the token management routes.
type TokenStore interface {
	CreateToken(ctx context.Context, t auth.Token) error
	ListTokens(ctx context.Context, org string, page apps.PageRequest) (apps.Page[auth.Token], error)
	RevokeToken(ctx context.Context, org, id string) error
}

var tokenIDRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

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

func newTokenView(t auth.Token) tokenView {
	return tokenView{TokenID: t.ID, Role: t.Role, Organisations: t.Organisations, Description: t.Description,
		ExpiresAt: t.ExpiresAt, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt}
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	org := r.PathValue("organisation")
	var req auth.CreateTokenRequest
	if err := decodeBody(r, &req); err != nil {
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
	w.Header().Set("Location", "/api/v3/organizations/"+org+"/tokens/"+tok.ID)
	writeJSON(w, http.StatusCreated, createdTokenView{tokenView: newTokenView(tok), Token: secret})
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
		body.Tokens = append(body.Tokens, newTokenView(t))
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("token")
	if !tokenIDRE.MatchString(id) {
		fail(w, r, invalidField("token", "must be a token id: 16 hex digits"))
		return
	}
	if err := s.Tokens.RevokeToken(r.Context(), r.PathValue("organisation"), id); err != nil {
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
