// Package quantclient is a client generated, unchanged, from Quant Cloud's
// published OpenAPI document (docs/quant/openapi-apps.yaml) by oapi-codegen
// with its default settings. The tests drive Berth with it, as a Quant
// user's generated client would. Regenerate with `go generate ./contract/...`.
package quantclient

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -generate types,client -package quantclient -o quantclient.gen.go ../../docs/quant/openapi-apps.yaml
