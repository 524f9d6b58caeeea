// Package ecrlogin issues registry logins from ECR's GetAuthorizationToken:
// the registry.Credentials adapter for AWS.
package ecrlogin

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/berth-dev/berth/shared/registry"
)

var _ registry.Credentials = (*ECR)(nil)

// ECR asks ECR for an authorization token of the account's registry. The
// token carries the permissions of the caller's IAM role, and lasts 12 h.
type ECR struct {
	Client *ecr.Client
}

// Credentials calls GetAuthorizationToken and decodes its token, which is
// base64 of "AWS:<password>". Errors never quote the token.
func (e *ECR) Credentials(ctx context.Context) (registry.Login, error) {
	out, err := e.Client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return registry.Login{}, classify(err)
	}
	if len(out.AuthorizationData) == 0 {
		return registry.Login{}, errors.New("ecr GetAuthorizationToken: the answer holds no authorization data")
	}
	data := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(data.AuthorizationToken))
	if err != nil {
		return registry.Login{}, errors.New("ecr GetAuthorizationToken: the token is not base64")
	}
	user, password, ok := strings.Cut(string(raw), ":")
	switch {
	case !ok || user == "" || password == "":
		return registry.Login{}, errors.New("ecr GetAuthorizationToken: the token is not <user>:<password>")
	case data.ExpiresAt == nil:
		return registry.Login{}, errors.New("ecr GetAuthorizationToken: the token has no expiry")
	case aws.ToString(data.ProxyEndpoint) == "":
		return registry.Login{}, errors.New("ecr GetAuthorizationToken: the answer names no registry endpoint")
	}
	return registry.Login{Username: user, Password: password, ExpiresAt: data.ExpiresAt.UTC(), Endpoint: aws.ToString(data.ProxyEndpoint)}, nil
}

// classify marks the failures a retry may cure (no answer, throttling, a
// fault on ECR's side) as registry.ErrUnavailable; the others, such as a
// missing permission, are faults of ours.
func classify(err error) error {
	var (
		api  smithy.APIError
		resp *awshttp.ResponseError
		send *smithyhttp.RequestSendError
	)
	switch {
	case retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary,
		errors.As(err, &api) && api.ErrorFault() == smithy.FaultServer,
		errors.As(err, &resp) && resp.HTTPStatusCode() >= 500,
		errors.As(err, &send):
		return fmt.Errorf("%w: %w", registry.ErrUnavailable, err)
	}
	return err
}

// New builds an ECR adapter from the Lambda's AWS configuration; it is the
// boot.Ports Registry constructor.
func New(cfg aws.Config, endpoint string) registry.Credentials {
	return &ECR{Client: ecr.NewFromConfig(cfg, func(o *ecr.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}
