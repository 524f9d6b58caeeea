// Package apikeys issues and withdraws tokens' API keys in an API Gateway
// usage plan: the usage.Keys adapter for AWS.
package apikeys

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/berth-dev/berth/shared/authorizer"
	"github.com/berth-dev/berth/shared/usage"
)

var _ usage.Keys = (*Gateway)(nil)

// Gateway keeps keys in the API Gateway usage plan named UsagePlan. It
// finds the plan by name, once: the stack cannot hand the functions the
// plan's id, since the plan depends on the API stage that depends on them.
type Gateway struct {
	Client    *apigateway.Client
	UsagePlan string

	mu     sync.Mutex
	planID string
}

func (g *Gateway) plan(ctx context.Context) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.planID != "" {
		return g.planID, nil
	}
	p := apigateway.NewGetUsagePlansPaginator(g.Client, &apigateway.GetUsagePlansInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("find usage plan %s: %w", g.UsagePlan, err)
		}
		for _, plan := range out.Items {
			if aws.ToString(plan.Name) == g.UsagePlan {
				g.planID = aws.ToString(plan.Id)
				return g.planID, nil
			}
		}
	}
	return "", fmt.Errorf("find usage plan %s: there is none by that name", g.UsagePlan)
}

func keyName(tokenID string) string { return "berth-token-" + tokenID }

// Issue creates the token's API key and adds it to the usage plan. It is
// safe to repeat: an existing key or plan membership is taken as done.
func (g *Gateway) Issue(ctx context.Context, tokenID string) error {
	planID, err := g.plan(ctx)
	if err != nil {
		return err
	}
	out, err := g.Client.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{
		Name:    aws.String(keyName(tokenID)),
		Value:   aws.String(authorizer.UsageKey(tokenID)),
		Enabled: true,
		Tags:    map[string]string{"berth:token": tokenID},
	})
	var conflict *types.ConflictException
	var keyID string
	switch {
	case errors.As(err, &conflict):
		if keyID, err = g.find(ctx, tokenID); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("create API key of token %s: %w", tokenID, err)
	default:
		keyID = aws.ToString(out.Id)
	}
	_, err = g.Client.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{
		UsagePlanId: aws.String(planID), KeyId: aws.String(keyID), KeyType: aws.String("API_KEY"),
	})
	if err != nil && !errors.As(err, &conflict) {
		return fmt.Errorf("add API key of token %s to usage plan: %w", tokenID, err)
	}
	return nil
}

// Withdraw deletes the token's API key; a key already gone is fine.
func (g *Gateway) Withdraw(ctx context.Context, tokenID string) error {
	keyID, err := g.find(ctx, tokenID)
	var notFound *types.NotFoundException
	if errors.As(err, &notFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = g.Client.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: aws.String(keyID)})
	if err != nil && !errors.As(err, &notFound) {
		return fmt.Errorf("delete API key of token %s: %w", tokenID, err)
	}
	return nil
}

// find looks the token's key up by its name, which is unique to the token.
func (g *Gateway) find(ctx context.Context, tokenID string) (string, error) {
	out, err := g.Client.GetApiKeys(ctx, &apigateway.GetApiKeysInput{NameQuery: aws.String(keyName(tokenID))})
	if err != nil {
		return "", fmt.Errorf("find API key of token %s: %w", tokenID, err)
	}
	for _, k := range out.Items {
		if aws.ToString(k.Name) == keyName(tokenID) {
			return aws.ToString(k.Id), nil
		}
	}
	return "", fmt.Errorf("find API key of token %s: %w", tokenID, &types.NotFoundException{Message: aws.String("no API key named " + keyName(tokenID))})
}

// New builds a Gateway from the Lambda's AWS configuration; it is the
// boot.Ports UsageKeys constructor.
func New(cfg aws.Config, plan, endpoint string) usage.Keys {
	return &Gateway{UsagePlan: plan, Client: apigateway.NewFromConfig(cfg, func(o *apigateway.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}
