package awscloud

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/berth-dev/berth/shared/cloud"
)

// The tests run the real SDK clients against awsStub, an HTTP server that
// speaks each service's protocol: the SDK serialises and validates every
// request as it would for AWS, and parses the stub's answers.

// request is one request as it reached the stub.
type request struct {
	Op       string
	Protocol string         // "query" (RDS, ELBv2), "ec2", "json" (JSON 1.1), "rest" (EFS)
	Form     url.Values     // query and ec2
	JSON     map[string]any // json and rest
	Method   string
	Path     string
	Query    url.Values
}

// reply is the stub's answer to one operation. Body is the JSON body, or
// for query protocols the XML inside the operation's result element.
type reply struct {
	Body      string
	Code, Msg string // an AWS error
	Status    int
}

func ok(body string) reply          { return reply{Body: body} }
func awsErr(code, msg string) reply { return reply{Code: code, Msg: msg} }

type awsStub struct {
	t        *testing.T
	mu       sync.Mutex
	requests []request
	replies  map[string][]reply
}

// on queues replies for op; the last one answers every later call.
func (s *awsStub) on(op string, replies ...reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies[op] = append(s.replies[op], replies...)
}

// efsRoutes name EFS's REST operations.
var efsRoutes = map[string]string{
	"POST file-systems": "CreateFileSystem", "GET file-systems": "DescribeFileSystems", "DELETE file-systems": "DeleteFileSystem",
	"POST mount-targets": "CreateMountTarget", "GET mount-targets": "DescribeMountTargets", "DELETE mount-targets": "DeleteMountTarget",
	"POST access-points": "CreateAccessPoint", "GET access-points": "DescribeAccessPoints", "DELETE access-points": "DeleteAccessPoint",
}

func (s *awsStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	req := request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query()}
	switch target := r.Header.Get("X-Amz-Target"); {
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
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // 2015-02-01/<collection>[/<id>]
		if len(parts) > 1 {
			req.Op = efsRoutes[r.Method+" "+parts[1]]
		}
		req.Protocol = "rest"
		if len(raw) > 0 {
			_ = json.Unmarshal(raw, &req.JSON)
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	queue := s.replies[req.Op]
	var rep reply
	switch {
	case len(queue) == 0:
		s.t.Errorf("unexpected request %s %s", req.Op, raw)
		rep = awsErr("UnexpectedRequest", "the stub has no answer for "+req.Op)
	case len(queue) == 1:
		rep = queue[0]
	default:
		rep, s.replies[req.Op] = queue[0], queue[1:]
	}
	s.mu.Unlock()
	write(w, req, rep)
}

func write(w http.ResponseWriter, req request, rep reply) {
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

// ops lists the operations the stub saw, in order.
func (s *awsStub) ops() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ops []string
	for _, r := range s.requests {
		ops = append(ops, r.Op)
	}
	return ops
}

// only returns the one request for op.
func (s *awsStub) only(op string) request {
	s.t.Helper()
	var found []request
	s.mu.Lock()
	for _, r := range s.requests {
		if r.Op == op {
			found = append(found, r)
		}
	}
	s.mu.Unlock()
	if len(found) != 1 {
		s.t.Fatalf("%d %s requests, want 1 (saw %v)", len(found), op, s.ops())
	}
	return found[0]
}

// all returns every request for op.
func (s *awsStub) all(op string) []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []request
	for _, r := range s.requests {
		if r.Op == op {
			found = append(found, r)
		}
	}
	return found
}

var testPlatform = Platform{
	Region: "eu-west-1", Account: "123456789012", Cluster: "berth",
	VPC: "vpc-0abc", Subnets: []string{"subnet-a", "subnet-b"},
	LoadBalancerSecurityGroup: "sg-alb", DatabaseSubnetGroup: "berth-db", DatabaseSecurityGroup: "sg-db",
	FilesystemSecurityGroup: "sg-efs",
	ListenerARN:             "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/berth/50dc6c495c0c9188/f2f7dc8efc522ab2",
	ExecutionRoleARN:        "arn:aws:iam::123456789012:role/berth-task-execution",
}

// testCloud builds a Cloud with New, every service pointed at one stub,
// and retries off so an error answer is seen once.
func testCloud(t *testing.T) (*Cloud, *awsStub) {
	stub := &awsStub{t: t, replies: map[string][]reply{}}
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:      "us-east-1", // Platform.Region wins
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	return New(cfg, testPlatform, func(string) string { return srv.URL }), stub
}

// checkForm compares a query-protocol request with want, every field:
// a field missing from want or sent with another value fails.
func checkForm(t *testing.T, got url.Values, want map[string]string) {
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

var testTags = cloud.Tags{"berth:managed": "true", "berth:application": "my-app"}
