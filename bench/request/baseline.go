package request

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

var jsonUnmarshal = json.Unmarshal

// Plain is the comparison for a route: a plain aws-lambda-go handler of the
// same event doing the same JSON work with the same DynamoDB client, and
// nothing else (no router, adapter, validation, audit or idempotency).
//
//	GET of one item   GetItem, item to JSON
//	GET of a list     Query on the partition, items to JSON
//	POST              body from JSON, one conditional PutItem, it back as JSON (201)
//	DELETE            one conditional UpdateItem (202)
func Plain(client *http.Client) lambda.Handler {
	db := dynamodb.NewFromConfig(Config(client))
	table := aws.String(Table)
	reply := func(status int, v any) (events.APIGatewayProxyResponse, error) {
		body, err := json.Marshal(v)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		return events.APIGatewayProxyResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}, nil
	}
	pk := func(e events.APIGatewayProxyRequest) map[string]types.AttributeValue {
		app := e.PathParameters["application"]
		if app == "" {
			app = "my-app"
		}
		return map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "ORG#" + e.PathParameters["organisation"] + "#APP#" + app},
			"sk": &types.AttributeValueMemberS{Value: "APP"},
		}
	}
	return lambda.NewHandler(func(ctx context.Context, e events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		single := strings.HasSuffix(e.Resource, "}")
		switch {
		case e.HTTPMethod == http.MethodGet && single:
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: pk(e)})
			if err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
			var item map[string]any
			if err := attributevalue.UnmarshalMap(out.Item, &item); err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
			return reply(http.StatusOK, item)
		case e.HTTPMethod == http.MethodGet:
			k := pk(e)
			out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: table, KeyConditionExpression: aws.String("pk = :pk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": k["pk"]}, Limit: aws.Int32(20)})
			if err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
			var items []map[string]any
			if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
			return reply(http.StatusOK, map[string]any{"data": items})
		case e.HTTPMethod == http.MethodPost:
			body := map[string]any{}
			if e.Body == "" {
				e.Body = "{}" // a POST with no body, as a rollback is
			}
			if err := json.Unmarshal([]byte(e.Body), &body); err != nil {
				return reply(http.StatusBadRequest, map[string]string{"message": err.Error()})
			}
			item, err := attributevalue.MarshalMap(body)
			if err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
			for k, v := range pk(e) {
				item[k] = v
			}
			if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: item,
				ConditionExpression: aws.String("attribute_not_exists(pk)")}); err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
			return reply(http.StatusCreated, body)
		default:
			if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: table, Key: pk(e),
				UpdateExpression:          aws.String("SET #s = :s"),
				ConditionExpression:       aws.String("attribute_exists(pk)"),
				ExpressionAttributeNames:  map[string]string{"#s": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: "DELETING"}}}); err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
			return reply(http.StatusAccepted, map[string]string{"status": "DELETING"})
		}
	})
}
