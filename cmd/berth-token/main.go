// Command berth-token mints an API token straight into Berth's table: the
// first admin token of an organisation, before any token can call the API.
// It prints the token as the last line of stdout; only its hash is stored.
//
// Local stack:    berth-token -org acme -endpoint http://127.0.0.1:8000
// Deployed stack: berth-token -org acme -table <TableName output> -usage-plan <UsagePlanName output>
// (AWS credentials from the usual chain; the usage plan gives the token its API key, without
// which API Gateway refuses it)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/berth-dev/berth/shared/apikeys"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "berth-token:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("berth-token", flag.ContinueOnError)
	org := fs.String("org", "", "organisation the token may act on (required)")
	role := fs.String("role", string(auth.RoleAdmin), "role: read, write or admin")
	table := fs.String("table", "berth", "table name (the stack's TableName output)")
	endpoint := fs.String("endpoint", "", "DynamoDB endpoint, e.g. http://127.0.0.1:8000 for the local stack")
	description := fs.String("description", "minted by berth-token", "what the token is for")
	plan := fs.String("usage-plan", "", "the deployed stack's usage plan (UsagePlanName output), to give the token its API key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !apps.ValidOrganisation(*org) {
		return fmt.Errorf("-org must be an organisation name (a-z, 0-9 and -, 1 to 63 characters)")
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	if *endpoint != "" {
		// DynamoDB Local accepts any credentials; do not ask for real ones.
		cfg.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if *endpoint != "" {
			o.BaseEndpoint = endpoint
		}
	})
	// The minting principal is the operator, who may reach any organisation.
	operator := auth.Principal{Organisations: []string{*org}, Role: auth.RoleAdmin}
	tok, secret, err := auth.NewToken(auth.CreateTokenRequest{Role: *role, Description: description}, *org, operator, apps.ValidOrganisation, time.Now())
	if err != nil {
		return err
	}
	tbl := &store.Table{Client: client, Name: *table}
	if err := tbl.CreateToken(ctx, tok); err != nil {
		return err
	}
	if *plan != "" {
		keys := apikeys.New(cfg, *plan, "")
		if err := keys.Issue(ctx, tok.ID); err != nil {
			return errors.Join(fmt.Errorf("give the token its API key: %w", err), tbl.RevokeToken(ctx, tok))
		}
	}
	fmt.Printf("token %s for %s with role %s; keep it secret, it is not shown again:\n", tok.ID, *org, tok.Role)
	fmt.Println(secret)
	return nil
}
