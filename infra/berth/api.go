package berth

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/authorizer"
)

// APIProps configure the REST API.
type APIProps struct {
	Routes []api.Route
	// Functions holds the function of every route, by route name.
	Functions map[string]awslambda.IFunction
	// Authorizer checks the bearer token of every request (TOKEN authorizer).
	Authorizer    awslambda.IFunction
	StageName     string
	ThrottleRate  float64
	ThrottleBurst int
	// TokenThrottleRate and TokenThrottleBurst limit each token, through
	// its own API key in the usage plan (shared/usage issues them).
	TokenThrottleRate  float64
	TokenThrottleBurst int
	// UsagePlanName names the plan, for the token functions to find it.
	UsagePlanName    string
	LogRetentionDays int
	// SharedPaths are paths (without their leading slash) that routes in
	// more than one stack lie under: made in this API's stack, whether or
	// not Routes use them, for the other stacks to import (sharedPaths).
	SharedPaths []string
}

// UsagePlanName is the name of a stack's per-token usage plan.
func UsagePlanName(stackName string) string { return stackName + "-tokens" }

// API is the REST API and the usage plan that throttles each token.
type API struct {
	RestAPI   awsapigateway.RestApi
	UsagePlan awsapigateway.UsagePlan
	// Authorizer is the token authorizer every method is behind.
	Authorizer awsapigateway.TokenAuthorizer
}

// accessLogFormat is one JSON line per request in the access log.
var accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"caller":"$context.identity.caller","user":"$context.identity.user",` +
	`"requestTime":"$context.requestTime","httpMethod":"$context.httpMethod",` +
	`"resourcePath":"$context.resourcePath","path":"$context.path","status":"$context.status",` +
	`"protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"responseLatency":"$context.responseLatency","integrationLatency":"$context.integration.latency",` +
	`"integrationStatus":"$context.integration.status","errorMessage":"$context.error.message",` +
	`"xrayTraceId":"$context.xrayTraceId"}`

// gatewayProblems are API Gateway's own answers (no authorizer decision,
// unknown path, throttled, integration failure), in the same
// application/problem+json shape as the handlers' (shared/api/problem.go).
var gatewayProblems = []struct {
	id, slug, title, detail string
	status                  int
	responseType            func() awsapigateway.ResponseType
}{
	{"Unauthorized", "unauthenticated", "Authentication required", "Send a valid API token: Authorization: Bearer berth_...", 401, awsapigateway.ResponseType_UNAUTHORIZED},
	// A token the authorizer still caches after its revoke has no API key left.
	{"NoUsageKey", "unauthenticated", "Authentication required", "Send a valid API token: Authorization: Bearer berth_...", 401, awsapigateway.ResponseType_INVALID_API_KEY},
	{"AccessDenied", "forbidden", "Forbidden", "This token may not make this request.", 403, awsapigateway.ResponseType_ACCESS_DENIED},
	{"NoRoute", "no-such-route", "No such route", "No route matches this method and path.", 404, awsapigateway.ResponseType_MISSING_AUTHENTICATION_TOKEN},
	{"Throttled", "rate-limited", "Too many requests", "Too many requests; retry shortly.", 429, awsapigateway.ResponseType_THROTTLED},
	{"Default5xx", "internal", "Internal error", "Something went wrong on our side. Retry later, quoting the requestId if it persists.", 500, awsapigateway.ResponseType_DEFAULT_5XX},
}

// NewAPI defines the REST API: one resource and method per route, each a
// proxy integration with the route's own function (the handlers take REST
// v1 proxy events), behind the token authorizer, on one regional stage
// with access logs, X-Ray and explicit throttling.
func NewAPI(scope constructs.Construct, id string, props *APIProps) (API, error) {
	accessLogs := awslogs.NewLogGroup(scope, jsii.String(id+"AccessLogs"), &awslogs.LogGroupProps{
		Retention:     retention(props.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	if props.Authorizer == nil {
		return API{}, fmt.Errorf("api: no authorizer function")
	}
	restAPI := awsapigateway.NewRestApi(scope, jsii.String(id), &awsapigateway.RestApiProps{
		Description:    jsii.String("Berth control plane API"),
		EndpointTypes:  &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		CloudWatchRole: jsii.Bool(false),
		// The authorizer names each token's API key (authorizer.UsageKey),
		// so that the usage plan throttles every token on its own.
		ApiKeySourceType: awsapigateway.ApiKeySourceType_AUTHORIZER,
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(props.StageName),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(accessLogs),
			AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat)),
			TracingEnabled:       jsii.Bool(true),
			MetricsEnabled:       jsii.Bool(true),
			ThrottlingRateLimit:  jsii.Number(props.ThrottleRate),
			ThrottlingBurstLimit: jsii.Number(float64(props.ThrottleBurst)),
		},
	})
	tokenAuthorizer := awsapigateway.NewTokenAuthorizer(scope, jsii.String(id+"Authorizer"), &awsapigateway.TokenAuthorizerProps{
		Handler:         props.Authorizer,
		IdentitySource:  jsii.String("method.request.header.Authorization"),
		ResultsCacheTtl: awscdk.Duration_Seconds(jsii.Number(authorizer.CacheTTL.Seconds())),
	})
	for _, p := range gatewayProblems {
		body := fmt.Sprintf(`{"type":"%s%s","title":"%s","status":%d,"detail":"%s","message":"%s","instance":"$context.path","requestId":"$context.requestId"}`,
			api.ProblemBase, p.slug, p.title, p.status, p.detail, p.detail)
		headers := map[string]*string{"Content-Type": jsii.String("'application/problem+json'"), "Cache-Control": jsii.String("'no-store'")}
		if p.status == 401 {
			headers["WWW-Authenticate"] = jsii.String(`'Bearer realm="berth"'`)
		}
		restAPI.AddGatewayResponse(jsii.String(p.id), &awsapigateway.GatewayResponseOptions{
			Type:            p.responseType(),
			StatusCode:      jsii.String(fmt.Sprint(p.status)),
			ResponseHeaders: &headers,
			Templates:       &map[string]*string{"application/json": jsii.String(body)},
		})
	}
	if err := addRouteMethods(scope, id, props.Routes, props.Functions, tokenAuthorizer, func(path string) awsapigateway.IResource {
		return restAPI.Root().ResourceForPath(jsii.String(path))
	}); err != nil {
		return API{}, err
	}
	// Paths that routes of other dialects share with these routes, or
	// with each other's, are made here, once; their nested stacks add
	// their methods and paths below them (DialectStack).
	for _, path := range props.SharedPaths {
		restAPI.Root().ResourceForPath(jsii.String(path))
	}

	// The stack's ApiUrl output replaces CDK's own, hash-named one.
	restAPI.Node().TryRemoveChild(jsii.String("Endpoint"))

	stage := restAPI.DeploymentStage()
	suppress(restAPI, "AwsSolutions-APIG2", "Every handler validates its whole request and answers with problem+json naming each broken field (docs/errors.md); an API Gateway request validator would duplicate those rules with a poorer error.")
	suppress(stage, "AwsSolutions-APIG3", "WAF is an operator's choice with its own cost; throttling is set on the stage. Attach a web ACL to the stage where needed.")
	suppress(stage, "AwsSolutions-APIG6", "Access logging is on for every request; execution logging needs the account-wide API Gateway CloudWatch role, which one stack should not own.")
	suppress(restAPI, "AwsSolutions-COG4", "Callers authenticate with Berth's own API tokens, checked by the Lambda TOKEN authorizer (shared/authorizer); Berth has no Cognito user pool.")
	plan := restAPI.AddUsagePlan(jsii.String("TokenPlan"), &awsapigateway.UsagePlanProps{
		Name:        jsii.String(props.UsagePlanName),
		Description: jsii.String("Each Berth API token's own limits: one API key per token"),
		Throttle: &awsapigateway.ThrottleSettings{
			RateLimit: jsii.Number(props.TokenThrottleRate), BurstLimit: jsii.Number(float64(props.TokenThrottleBurst)),
		},
		ApiStages: &[]*awsapigateway.UsagePlanPerApiStage{{Api: restAPI, Stage: stage}},
	})
	return API{RestAPI: restAPI, UsagePlan: plan, Authorizer: tokenAuthorizer}, nil
}

// addRouteMethods adds a method per route, each an AWS_PROXY integration
// with its route's function behind the token authorizer, on the resource
// resourceFor gives for the route's path (without its leading slash).
// API Gateway calls the functions as one role, id+"InvokeRole" in scope,
// instead of through one resource-based permission per method: a
// resource per route fewer, out of a template's 500
// (TestTemplateStaysUnder...). The main stack and each dialect's nested
// stack have a role of their own: one role naming functions of both
// would make the stacks depend on each other.
func addRouteMethods(scope constructs.Construct, id string, routes []api.Route, functions map[string]awslambda.IFunction,
	tokenAuthorizer awsapigateway.IAuthorizer, resourceFor func(path string) awsapigateway.IResource) error {
	invoke := awsiam.NewPolicyDocument(nil)
	invokeRole := awsiam.NewRole(scope, jsii.String(id+"InvokeRole"), &awsiam.RoleProps{
		AssumedBy:      awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
		Description:    jsii.String("API Gateway invokes Berth's route functions"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"InvokeRoutes": invoke},
	})
	stack := awscdk.Stack_Of(scope)
	var arns []*string
	for _, rt := range routes {
		fn, ok := functions[rt.Name]
		if !ok {
			return fmt.Errorf("api: route %s has no function", rt.Name)
		}
		arns = append(arns, fn.FunctionArn())
		resource := resourceFor(strings.TrimPrefix(rt.Pattern, "/"))
		uri := fmt.Sprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", *stack.Partition(), *stack.Region(), *fn.FunctionArn())
		resource.AddMethod(jsii.String(rt.Method), awsapigateway.NewIntegration(&awsapigateway.IntegrationProps{
			Type:                  awsapigateway.IntegrationType_AWS_PROXY,
			IntegrationHttpMethod: jsii.String("POST"),
			Uri:                   jsii.String(uri),
			Options:               &awsapigateway.IntegrationOptions{CredentialsRole: invokeRole},
		}), &awsapigateway.MethodOptions{
			OperationName:     jsii.String(rt.Name),
			AuthorizationType: awsapigateway.AuthorizationType_CUSTOM,
			Authorizer:        tokenAuthorizer,
			ApiKeyRequired:    jsii.Bool(true),
		})
	}
	invoke.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &arns,
	}))
	return nil
}
