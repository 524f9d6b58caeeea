// Package authorizer is the API Gateway Lambda authorizer: it turns a
// bearer token into an IAM policy and a context that carries the
// principal to the handlers. The local stack runs the same code in front
// of the same handlers.
package authorizer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/berth-dev/berth/shared/auth"
)

// CacheTTL is how long API Gateway caches a decision, and so the longest a
// revoked token keeps working.
const CacheTTL = 60 * time.Second

// Context keys the authorizer sets and the handlers read.
const (
	keyTokenID       = "tokenId"
	keyOrganisations = "organisations"
	keyRole          = "role"
	keyExpiresAt     = "expiresAt" // epoch seconds; absent when the token never expires
)

// ErrUnauthorized is the error API Gateway turns into a 401; the text must
// be exactly "Unauthorized".
var ErrUnauthorized = errors.New("Unauthorized")

// TokenToucher records when a token was last used.
type TokenToucher interface {
	TouchToken(ctx context.Context, tok auth.Token, now time.Time) error
}

// Authorizer answers API Gateway TOKEN authorizer requests.
type Authorizer struct {
	Auth  *auth.Authenticator
	Touch TokenToucher
	Log   *slog.Logger
}

// Authorize checks the token. The policy allows every method of the stage,
// because API Gateway caches it per token for all routes; the handlers
// check the organisation and role of each request.
func (a *Authorizer) Authorize(ctx context.Context, req events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	token, ok := auth.BearerToken(req.AuthorizationToken)
	if !ok {
		return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
	}
	p, err := a.Auth.Authenticate(ctx, token)
	if errors.Is(err, auth.ErrUnauthenticated) {
		return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
	}
	if err != nil {
		return events.APIGatewayCustomAuthorizerResponse{}, err
	}
	if now := a.Auth.Now(); p.TouchDue(now) {
		if err := a.Touch.TouchToken(ctx, auth.Token{ID: p.TokenID, Organisations: p.Organisations}, now); err != nil {
			// Last-used times are advisory; a failed update must not lock clients out.
			a.Log.WarnContext(ctx, "token last-used time not recorded", slog.String("tokenId", p.TokenID), slog.String("error", err.Error()))
		}
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: p.TokenID,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action:   []string{"execute-api:Invoke"},
				Effect:   "Allow",
				Resource: []string{stageWildcard(req.MethodArn)},
			}},
		},
		Context: principalContext(p),
		// Usage plans throttle per token through an API key per token.
		UsageIdentifierKey: UsageKey(p.TokenID),
	}, nil
}

// principalContext is the authorizer context for p; API Gateway takes
// strings, numbers and booleans only.
func principalContext(p auth.Principal) map[string]any {
	ctx := map[string]any{
		keyTokenID:       p.TokenID,
		keyOrganisations: strings.Join(p.Organisations, ","),
		keyRole:          string(p.Role),
	}
	if p.ExpiresAt != nil {
		ctx[keyExpiresAt] = strconv.FormatInt(p.ExpiresAt.Unix(), 10)
	}
	return ctx
}

// UsageKey is the API Gateway API key value of a token's usage plan key;
// API key values need 20 to 128 characters.
func UsageKey(tokenID string) string { return "berth-usage-" + tokenID }

// stageWildcard turns arn:...:api/stage/METHOD/path into arn:...:api/stage/*.
func stageWildcard(methodARN string) string {
	parts := strings.SplitN(methodARN, "/", 3)
	if len(parts) < 2 {
		return methodARN
	}
	return parts[0] + "/" + parts[1] + "/*"
}

// Principal reads the principal from the authorizer context API Gateway
// passes to the handlers.
func Principal(authorizerContext map[string]any) (auth.Principal, error) {
	id, _ := authorizerContext[keyTokenID].(string)
	orgs, _ := authorizerContext[keyOrganisations].(string)
	role, _ := authorizerContext[keyRole].(string)
	p := auth.Principal{TokenID: id, Role: auth.Role(role)}
	if orgs != "" {
		p.Organisations = strings.Split(orgs, ",")
	}
	if id == "" || !p.Role.Valid() {
		return auth.Principal{}, fmt.Errorf("%w: no authorizer context", auth.ErrUnauthenticated)
	}
	if exp, ok := authorizerContext[keyExpiresAt].(string); ok {
		secs, err := strconv.ParseInt(exp, 10, 64)
		if err != nil {
			return auth.Principal{}, fmt.Errorf("%w: authorizer context expiresAt %q", auth.ErrUnauthenticated, exp)
		}
		t := time.Unix(secs, 0).UTC()
		p.ExpiresAt = &t
	}
	return p, nil
}
