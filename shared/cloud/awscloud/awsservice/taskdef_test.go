package awsservice

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/validation"
)

// ecsStub records the body of each request and answers RegisterTaskDefinition.
type ecsStub struct{ bodies []map[string]any }

func (s *ecsStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	s.bodies = append(s.bodies, body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = io.WriteString(w, `{"taskDefinition":{"taskDefinitionArn":"arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-acme-my-app-production:1","revision":1}}`)
}

func ecsClient(t *testing.T) (*ecs.Client, *ecsStub) {
	stub := &ecsStub{}
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	return ecs.New(ecs.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
	}), stub
}

// richSpec is the seed application (docs/examples) with every optional
// compose field set on its first container, a database and a filesystem.
func richSpec(t *testing.T) cloud.TaskSpec {
	raw, err := os.ReadFile("../../../../docs/examples/create-application.json")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		ComposeDefinition compose.Definition `json:"composeDefinition"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	d := body.ComposeDefinition
	web := &d.Containers[0]
	web.Command, web.EntryPoint = []string{"php-fpm"}, []string{"/entrypoint.sh"}
	web.WorkingDirectory, web.User = aws.String("/var/www"), aws.String("www-data")
	web.ReadonlyRootFilesystem = aws.Bool(true)
	web.HealthCheck.StartPeriod = aws.Int(10)
	d.TaskRoleARN = aws.String("arn:aws:iam::123456789012:role/berth-app")
	errs := validation.Errors{}
	d.Normalize(compose.Context{Filesystem: true, FilesystemMountPath: "/data/shared"}, errs, "")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return cloud.TaskSpec{
		Family: "berth-acme-my-app-production", Compose: d,
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/berth-task-execution",
		LogGroup:         "/berth/acme/my-app/production", Region: "eu-west-1",
		RepositoryURI: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/acme/my-app",
		SecretsARN:    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/acme/my-app/production/app-secrets-AbCdEf",
		Filesystem:    &cloud.FilesystemMount{FilesystemID: "fs-0123", AccessPointID: "fsap-0456", MountPath: "/data/shared"},
		Database: &cloud.DatabaseConnection{Host: "berth-acme-my-app.abc.eu-west-1.rds.amazonaws.com", Port: 3306, Name: "app",
			SecretARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-XyZ"},
	}
}

// TestRegisterTaskDefinitionRequest sends the mapped input through the
// real ECS client and checks the request that would reach AWS.
func TestRegisterTaskDefinitionRequest(t *testing.T) {
	in, err := RegisterTaskDefinitionInput(richSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	client, stub := ecsClient(t)
	out, err := client.RegisterTaskDefinition(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.TaskDefinition.TaskDefinitionArn) == "" {
		t.Fatal("no ARN parsed from the answer")
	}
	got := stub.bodies[0]
	want := map[string]any{
		"family": "berth-acme-my-app-production", "networkMode": "awsvpc", "cpu": "256", "memory": "1024",
		"executionRoleArn": "arn:aws:iam::123456789012:role/berth-task-execution",
		"taskRoleArn":      "arn:aws:iam::123456789012:role/berth-app",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	awstest.CheckJSON(t, got["requiresCompatibilities"], `["FARGATE"]`)
	awstest.CheckJSON(t, got["runtimePlatform"], `{"cpuArchitecture":"ARM64","operatingSystemFamily":"LINUX"}`)
	awstest.CheckJSON(t, got["volumes"], `[{"efsVolumeConfiguration":{"authorizationConfig":{"accessPointId":"fsap-0456","iam":"ENABLED"},"fileSystemId":"fs-0123","transitEncryption":"ENABLED"},"name":"data"}]`)

	cs := got["containerDefinitions"].([]any)
	web, cache := cs[0].(map[string]any), cs[1].(map[string]any)
	awstest.CheckJSON(t, web, `{
		"name":"web","image":"123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/acme/my-app:latest",
		"cpu":256,"memory":512,"memoryReservation":256,"essential":true,"readonlyRootFilesystem":true,
		"command":["php-fpm"],"entryPoint":["/entrypoint.sh"],"workingDirectory":"/var/www","user":"www-data",
		"portMappings":[{"containerPort":80,"protocol":"tcp"}],
		"mountPoints":[{"containerPath":"/var/www/uploads","readOnly":false,"sourceVolume":"data"},{"containerPath":"/data/shared","readOnly":false,"sourceVolume":"data"}],
		"environment":[{"name":"APP_ENV","value":"production"},{"name":"DB_HOST","value":"berth-acme-my-app.abc.eu-west-1.rds.amazonaws.com"},{"name":"DB_PORT","value":"3306"},{"name":"DB_NAME","value":"app"}],
		"secrets":[{"name":"API_KEY","valueFrom":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/acme/my-app/production/app-secrets-AbCdEf:api_key::"},
			{"name":"DB_USER","valueFrom":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-XyZ:username::"},
			{"name":"DB_PASSWORD","valueFrom":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-XyZ:password::"}],
		"healthCheck":{"command":["CMD-SHELL","curl -f http://localhost/ || exit 1"],"interval":30,"timeout":5,"retries":3,"startPeriod":10},
		"dependsOn":[{"condition":"START","containerName":"cache"}],
		"logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/berth/acme/my-app/production","awslogs-region":"eu-west-1","awslogs-stream-prefix":"berth"}}
	}`)
	if cache["image"] != "redis:7" || cache["memory"] != 256.0 || cache["essential"] != true {
		t.Errorf("cache container %v", cache)
	}
}

func TestUserVariablesWinOverDatabaseOnes(t *testing.T) {
	spec := richSpec(t)
	v := "db.internal"
	spec.Compose.Containers[0].Environment = []compose.EnvVar{{Name: cloud.EnvDatabaseHost, Value: &v}}
	in, err := RegisterTaskDefinitionInput(spec)
	if err != nil {
		t.Fatal(err)
	}
	hosts := 0
	for _, kv := range in.ContainerDefinitions[0].Environment {
		if aws.ToString(kv.Name) == cloud.EnvDatabaseHost {
			hosts++
			if aws.ToString(kv.Value) != v {
				t.Errorf("DB_HOST = %s, want the container's own", aws.ToString(kv.Value))
			}
		}
	}
	if hosts != 1 {
		t.Fatalf("DB_HOST appears %d times", hosts)
	}
}

func TestMappingRefusals(t *testing.T) {
	spec := richSpec(t)
	spec.RepositoryURI = ""
	if _, err := RegisterTaskDefinitionInput(spec); err == nil {
		t.Error("an internal image without a repository was mapped")
	}
	spec = richSpec(t)
	spec.SecretsARN = ""
	if _, err := RegisterTaskDefinitionInput(spec); err == nil {
		t.Error("secrets without the app-secrets secret were mapped")
	}
	spec = richSpec(t)
	spec.Compose.TaskCPU = nil
	if _, err := RegisterTaskDefinitionInput(spec); err == nil {
		t.Error("a definition that was never normalized was mapped")
	}
}

// TestTheSDKValidatesTheInput: the SDK's own parameter validation runs,
// and refuses before anything reaches the network.
func TestTheSDKValidatesTheInput(t *testing.T) {
	spec := richSpec(t)
	spec.Family = ""
	in, err := RegisterTaskDefinitionInput(spec)
	if err != nil {
		t.Fatal(err)
	}
	in.Family = nil
	client, stub := ecsClient(t)
	_, err = client.RegisterTaskDefinition(context.Background(), in)
	var invalid smithy.InvalidParamsError
	if !errors.As(err, &invalid) || len(stub.bodies) != 0 {
		t.Fatalf("error %v and %d requests sent; want the SDK's InvalidParamsError and none", err, len(stub.bodies))
	}
}

// TestEnvironmentVariablesAndSecrets: every container gets the
// environment's variables and version-pinned secrets, after its own
// (which win on a name) and before the database's (which yield).
func TestEnvironmentVariablesAndSecrets(t *testing.T) {
	spec := richSpec(t)
	const stripe = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/acme/my-app/production/STRIPE_KEY-QwErTy:::v-3"
	const dbPassword = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/acme/my-app/production/DB_PASSWORD-AsDfGh:::v-4"
	const apiKey = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/acme/my-app/production/API_KEY-ZxCvBn:::v-1"
	spec.Variables = []compose.EnvVar{
		{Name: "APP_ENV", Value: aws.String("staging")},
		{Name: "LOG_LEVEL", Value: aws.String("debug")},
		{Name: cloud.EnvDatabasePort, Value: aws.String("6033")},
	}
	spec.Secrets = []cloud.SecretRef{
		{Name: "API_KEY", ValueFrom: apiKey},
		{Name: "STRIPE_KEY", ValueFrom: stripe},
		{Name: cloud.EnvDatabasePassword, ValueFrom: dbPassword},
	}
	in, err := RegisterTaskDefinitionInput(spec)
	if err != nil {
		t.Fatal(err)
	}
	client, stub := ecsClient(t)
	if _, err := client.RegisterTaskDefinition(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	cs := stub.bodies[0]["containerDefinitions"].([]any)
	web, cache := cs[0].(map[string]any), cs[1].(map[string]any)
	const host = `{"name":"DB_HOST","value":"berth-acme-my-app.abc.eu-west-1.rds.amazonaws.com"}`
	const user = `{"name":"DB_USER","valueFrom":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-XyZ:username::"}`
	awstest.CheckJSON(t, web["environment"], `[{"name":"APP_ENV","value":"production"},{"name":"LOG_LEVEL","value":"debug"},
		{"name":"DB_PORT","value":"6033"},`+host+`,{"name":"DB_NAME","value":"app"}]`)
	awstest.CheckJSON(t, web["secrets"], `[
		{"name":"API_KEY","valueFrom":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/acme/my-app/production/app-secrets-AbCdEf:api_key::"},
		{"name":"STRIPE_KEY","valueFrom":"`+stripe+`"},{"name":"DB_PASSWORD","valueFrom":"`+dbPassword+`"},`+user+`]`)
	awstest.CheckJSON(t, cache["environment"], `[{"name":"APP_ENV","value":"staging"},{"name":"LOG_LEVEL","value":"debug"},
		{"name":"DB_PORT","value":"6033"},`+host+`,{"name":"DB_NAME","value":"app"}]`)
	awstest.CheckJSON(t, cache["secrets"], `[{"name":"API_KEY","valueFrom":"`+apiKey+`"},
		{"name":"STRIPE_KEY","valueFrom":"`+stripe+`"},{"name":"DB_PASSWORD","valueFrom":"`+dbPassword+`"},`+user+`]`)
}

// TestEnvironmentSecretsNeedNoAppSecrets: a version-pinned secret names
// its own ARN, so a task with no app-secrets secret still maps.
func TestEnvironmentSecretsNeedNoAppSecrets(t *testing.T) {
	spec := richSpec(t)
	spec.Compose.Containers[0].Secrets = nil
	spec.SecretsARN, spec.Database = "", nil
	spec.Secrets = []cloud.SecretRef{{Name: "TOKEN", ValueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:t-AbCdEf:::v-1"}}
	in, err := RegisterTaskDefinitionInput(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range in.ContainerDefinitions {
		if len(c.Secrets) != 1 || aws.ToString(c.Secrets[0].ValueFrom) != spec.Secrets[0].ValueFrom {
			t.Errorf("container %s secrets %v", aws.ToString(c.Name), c.Secrets)
		}
	}
}
