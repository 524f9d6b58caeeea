// Package awstest is the AWS adapters' test stub: an HTTP server that
// speaks each service's protocol, so tests run the real SDK clients (which
// serialise and validate every request as they would for AWS, and parse
// the stub's answers) without AWS. It is a package of its own because each
// adapter part is, and they share it.
package awstest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// Request is one request as it reached the stub.
type Request struct {
	Op       string
	Protocol string         // "query" (RDS, ELBv2), "ec2", "json" (JSON 1.1), "rest" (EFS, Scheduler), "restxml" (S3)
	Form     url.Values     // query and ec2
	JSON     map[string]any // json and rest
	Method   string
	Path     string
	Query    url.Values
}

// Reply is the stub's answer to one operation. Body is the JSON body, or
// for query protocols the XML inside the operation's result element.
type Reply struct {
	Body      string
	Code, Msg string // an AWS error
	Status    int
}

// OK answers with body.
func OK(body string) Reply { return Reply{Body: body} }

// AWSErr answers with an AWS error.
func AWSErr(code, msg string) Reply { return Reply{Code: code, Msg: msg} }

// Stub is the server; every request it has no reply for fails the test.
type Stub struct {
	// URL is the server's base URL.
	URL      string
	t        *testing.T
	mu       sync.Mutex
	requests []Request
	replies  map[string][]Reply
	faults   *injector // set by ConfigWithFaults
}

// New starts a stub for the test; it stops when the test ends.
func New(t *testing.T) *Stub {
	s := &Stub{t: t, replies: map[string][]Reply{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Config is an SDK configuration for the stub: static credentials, a
// region the platform's overrides, and retries off so an error answer is
// seen once.
func (s *Stub) Config() aws.Config {
	return aws.Config{
		Region:      "us-east-1", // Platform.Region wins
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// Getenv is an environment that points every service's endpoint
// variable (AWS_ENDPOINT_URL_<SERVICE>) at the stub, and sets nothing else.
func (s *Stub) Getenv(name string) string {
	if strings.HasPrefix(name, "AWS_ENDPOINT_URL_") {
		return s.URL
	}
	return ""
}

// Any is the op for which On queues the replies to every op that has none.
const Any = "*"

// On queues replies for op (or Any); the last one answers every later call.
func (s *Stub) On(op string, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies[op] = append(s.replies[op], replies...)
}

// restRoutes name the REST operations by method and collection: EFS's
// (paths /2015-02-01/<collection>[/<id>]) and Scheduler's (/<collection>/<name>).
var restRoutes = map[string]string{
	"POST file-systems": "CreateFileSystem", "GET file-systems": "DescribeFileSystems", "DELETE file-systems": "DeleteFileSystem",
	"POST mount-targets": "CreateMountTarget", "GET mount-targets": "DescribeMountTargets", "DELETE mount-targets": "DeleteMountTarget",
	"POST access-points": "CreateAccessPoint", "GET access-points": "DescribeAccessPoints", "DELETE access-points": "DeleteAccessPoint",
	"POST schedule-groups": "CreateScheduleGroup", "GET schedule-groups": "GetScheduleGroup", "DELETE schedule-groups": "DeleteScheduleGroup",
	"POST schedules": "CreateSchedule", "PUT schedules": "UpdateSchedule", "GET schedules": "GetSchedule", "DELETE schedules": "DeleteSchedule",
}

// ServeHTTP records the request and answers it.
func (s *Stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	req := parse(r, raw)
	s.mu.Lock()
	s.requests = append(s.requests, req)
	op := req.Op
	if len(s.replies[op]) == 0 {
		op = Any
	}
	queue := s.replies[op]
	var rep Reply
	switch {
	case len(queue) == 0:
		s.t.Errorf("unexpected request %s %s", req.Op, raw)
		rep = AWSErr("UnexpectedRequest", "the stub has no answer for "+req.Op)
	case len(queue) == 1:
		rep = queue[0]
	default:
		rep, s.replies[op] = queue[0], queue[1:]
	}
	s.mu.Unlock()
	write(w, req, rep)
}

// s3Routes name S3's object operations by method.
var s3Routes = map[string]string{
	http.MethodGet: "GetObject", http.MethodHead: "HeadObject", http.MethodPut: "PutObject", http.MethodDelete: "DeleteObject",
}

// parse names a request's operation and protocol, and reads its fields.
func parse(r *http.Request, raw []byte) Request {
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query()}
	switch target := r.Header.Get("X-Amz-Target"); {
	case strings.Contains(r.Header.Get("Authorization"), "/s3/aws4_request"):
		req.Protocol, req.Op = "restxml", s3Routes[r.Method]
	case target != "":
		req.Protocol, req.Op = "json", target[strings.LastIndex(target, ".")+1:]
		_ = json.Unmarshal(raw, &req.JSON)
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		req.Form, _ = url.ParseQuery(string(raw))
		req.Op, req.Protocol = req.Form.Get("Action"), "query"
		if req.Form.Get("Version") == "2016-11-15" {
			req.Protocol = "ec2"
		}
	default:
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		if len(parts) > 1 && parts[0] == "2015-02-01" { // EFS's API version
			parts = parts[1:]
		}
		req.Op = restRoutes[r.Method+" "+parts[0]]
		req.Protocol = "rest"
		if len(raw) > 0 {
			_ = json.Unmarshal(raw, &req.JSON)
		}
	}
	return req
}

func write(w http.ResponseWriter, req Request, rep Reply) {
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
		if rep.Code != "" {
			status = http.StatusBadRequest
		}
	}
	var body string
	switch req.Protocol {
	case "query":
		w.Header().Set("Content-Type", "text/xml")
		if rep.Code != "" {
			body = fmt.Sprintf(`<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`, rep.Code, rep.Msg)
		} else {
			body = fmt.Sprintf(`<%[1]sResponse><%[1]sResult>%[2]s</%[1]sResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></%[1]sResponse>`, req.Op, rep.Body)
		}
	case "ec2":
		w.Header().Set("Content-Type", "text/xml")
		if rep.Code != "" {
			body = fmt.Sprintf(`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>req-1</RequestID></Response>`, rep.Code, rep.Msg)
		} else {
			body = fmt.Sprintf(`<%[1]sResponse><requestId>req-1</requestId>%[2]s</%[1]sResponse>`, req.Op, rep.Body)
		}
	case "restxml":
		w.Header().Set("Content-Type", "application/xml")
		body = rep.Body
		if rep.Code != "" && req.Method != http.MethodHead { // S3's HEAD errors have no body
			body = fmt.Sprintf(`<Error><Code>%s</Code><Message>%s</Message><RequestId>req-1</RequestId></Error>`, rep.Code, rep.Msg)
		}
	case "json":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		body = rep.Body
		if rep.Code != "" {
			b, _ := json.Marshal(map[string]string{"__type": rep.Code, "message": rep.Msg})
			body = string(b)
		} else if body == "" {
			body = "{}"
		}
	default:
		w.Header().Set("Content-Type", "application/json")
		body = rep.Body
		if rep.Code != "" {
			w.Header().Set("X-Amzn-Errortype", rep.Code)
			b, _ := json.Marshal(map[string]string{"ErrorCode": rep.Code, "Message": rep.Msg})
			body = string(b)
		}
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// Ops lists the operations the stub saw, in order.
func (s *Stub) Ops() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ops []string
	for _, r := range s.requests {
		ops = append(ops, r.Op)
	}
	return ops
}

// Requests lists the requests the stub saw, in order.
func (s *Stub) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Only returns the one request for op, and fails the test when there
// is not exactly one.
func (s *Stub) Only(op string) Request {
	s.t.Helper()
	var found []Request
	s.mu.Lock()
	for _, r := range s.requests {
		if r.Op == op {
			found = append(found, r)
		}
	}
	s.mu.Unlock()
	if len(found) != 1 {
		s.t.Fatalf("%d %s requests, want 1 (saw %v)", len(found), op, s.Ops())
	}
	return found[0]
}

// All returns every request for op.
func (s *Stub) All(op string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []Request
	for _, r := range s.requests {
		if r.Op == op {
			found = append(found, r)
		}
	}
	return found
}

// Platform is the platform the tests build parts on.
var Platform = awscloud.Platform{
	Region: "eu-west-1", Account: "123456789012", Cluster: "berth",
	VPC: "vpc-0abc", Subnets: []string{"subnet-a", "subnet-b"},
	LoadBalancerSecurityGroup: "sg-alb", DatabaseSubnetGroup: "berth-db", DatabaseSecurityGroup: "sg-db",
	FilesystemSecurityGroup: "sg-efs",
	ListenerARN:             "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/berth/50dc6c495c0c9188/f2f7dc8efc522ab2",
	ExecutionRoleARN:        "arn:aws:iam::123456789012:role/berth-task-execution",
}

// CheckForm compares a query-protocol request with want, every field:
// a field missing from want or sent with another value fails.
func CheckForm(t *testing.T, got url.Values, want map[string]string) {
	t.Helper()
	g := map[string]string{}
	for k, v := range got {
		g[k] = strings.Join(v, "|")
	}
	if reflect.DeepEqual(g, want) {
		return
	}
	keys := map[string]bool{}
	for k := range g {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		gv, gok := g[k]
		wv, wok := want[k]
		switch {
		case !gok:
			t.Errorf("%s not sent, want %q", k, wv)
		case !wok:
			t.Errorf("%s = %q sent, not expected", k, gv)
		case gv != wv:
			t.Errorf("%s = %q, want %q", k, gv, wv)
		}
	}
}

// Tags are the tags the tests give resources.
var Tags = cloud.Tags{"berth:managed": "true", "berth:application": "my-app"}

// CheckJSON compares got, marshalled, with the JSON want.
func CheckJSON(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	g, _ := json.Marshal(got)
	ww, _ := json.Marshal(w)
	if string(g) != string(ww) {
		t.Errorf("got  %s\nwant %s", g, ww)
	}
}
