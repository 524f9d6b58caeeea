// Command hello is the cold start baseline of make bench: the smallest
// aws-lambda-go function, built with the same flags as Berth's functions.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type in struct {
	Name string `json:"name"`
}

func main() {
	lambda.Start(func(_ context.Context, e in) (string, error) { return "hello " + e.Name, nil })
}
