// Command authorizer is the API Gateway Lambda authorizer: it checks
// bearer tokens for every route.
package main

import "github.com/berth-dev/berth/shared/boot"

func main() { boot.Authorizer() }
