// Command floor is the size reference of make bench: the smallest function
// that reads DynamoDB, one aws-lambda-go handler making one GetItem with
// the aws-sdk-go-v2 client, built with the same flags as Berth's functions.
// Every Berth function that uses the table is at least this big.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type in struct {
	ID string `json:"id"`
}

func main() {
	db := dynamodb.New(dynamodb.Options{Region: os.Getenv("AWS_REGION")})
	lambda.Start(func(ctx context.Context, e in) (bool, error) {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(os.Getenv("TABLE")),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: e.ID}}})
		return err == nil && out.Item != nil, err
	})
}
