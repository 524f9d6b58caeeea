// Package awsenv builds AWS clients from a Lambda's environment. It avoids
// the SDK's config package, whose shared-profile, SSO and STS support a
// Lambda never uses and which slows every cold start.
package awsenv

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Config reads the region and credentials Lambda puts in the environment.
func Config(getenv func(string) string) aws.Config {
	return aws.Config{
		Region: getenv("AWS_REGION"),
		Credentials: credentials.NewStaticCredentialsProvider(
			getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")),
	}
}

// DynamoDB is the table's client, at AWS_ENDPOINT_URL_DYNAMODB when set.
func DynamoDB(getenv func(string) string) *dynamodb.Client {
	return dynamodb.NewFromConfig(Config(getenv), func(o *dynamodb.Options) {
		if ep := getenv("AWS_ENDPOINT_URL_DYNAMODB"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
}
