// Package request measures Berth's per-request work: raw API Gateway event
// bytes to response bytes through aws-lambda-go's handler, the
// aws-lambda-go-api-proxy adapter and a route's handler, with AWS answered
// in-process by Stub (an http.RoundTripper), so the real SDK serialisation
// runs but no network does.
package request

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/berth-dev/berth/shared/boot"
)

// Stub answers DynamoDB, Step Functions StartExecution, the API Gateway
// API key calls and S3's HeadObject and DeleteObject on the backups bucket. For DynamoDB it is a tiny in-memory table: writes are
// stored until Freeze, reads answer from what was stored; conditions are
// never evaluated (every write succeeds). After Freeze writes are
// acknowledged but not kept, so every benchmark iteration sees one state.
type Stub struct {
	mu     sync.Mutex
	items  map[string]map[string]json.RawMessage // pk + "\x00" + sk
	frozen bool
	Counts Counts
	// seen: the SDK invocation ids counted through ServeHTTP.
	seen map[string]bool
}

// Counts are the calls a Stub answered.
type Counts struct {
	DynamoDB map[string]int // by operation
	// ConditionalWrites counts writes (PutItem, UpdateItem, DeleteItem,
	// TransactWriteItems) carrying a condition expression.
	ConditionalWrites int
	Writes            int
	StepFunctions     int
	APIGateway        int
	ECR               int
	Scaling           int // Application Auto Scaling
	Scheduler         int // EventBridge Scheduler
	Logs              int // CloudWatch Logs
	CloudWatch        int // CloudWatch metrics
	ECS               int
	STS               int
	SecretsManager    int
	EFS               int
	S3                int // on the backups bucket
}

// Total is every DynamoDB call.
func (c Counts) Total() int {
	n := 0
	for _, v := range c.DynamoDB {
		n += v
	}
	return n
}

// NewStub returns an empty Stub.
func NewStub() *Stub {
	return &Stub{items: map[string]map[string]json.RawMessage{}, Counts: Counts{DynamoDB: map[string]int{}}, seen: map[string]bool{}}
}

// Freeze stops keeping writes.
func (s *Stub) Freeze() {
	s.mu.Lock()
	s.frozen = true
	s.mu.Unlock()
}

// Reset zeroes the counts.
func (s *Stub) Reset() {
	s.mu.Lock()
	s.Counts = Counts{DynamoDB: map[string]int{}}
	s.mu.Unlock()
}

// Snapshot copies the counts.
func (s *Stub) Snapshot() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.Counts
	c.DynamoDB = map[string]int{}
	for k, v := range s.Counts.DynamoDB {
		c.DynamoDB[k] = v
	}
	return c
}

// Client is an http.Client whose every request the Stub answers.
func (s *Stub) Client() *http.Client { return &http.Client{Transport: s} }

// ServeHTTP lets the Stub also stand behind an httptest.Server, for
// clients that cannot take an http.Client.
func (s *Stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, _ := s.answer(r, true)
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, res.Body)
}

// RoundTrip answers one AWS call.
func (s *Stub) RoundTrip(r *http.Request) (*http.Response, error) { return s.answer(r, false) }

// answer counts and answers one call. Over loopback HTTP a reused
// connection can fail and the SDK retry it: with dedupe, an attempt whose
// invocation id was seen is answered but not counted again.
func (s *Stub) answer(r *http.Request, dedupe bool) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		_ = r.Body.Close()
	}
	target := r.Header.Get("X-Amz-Target")
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := &s.Counts
	if id := r.Header.Get("Amz-Sdk-Invocation-Id"); dedupe && id != "" {
		if s.seen[id] {
			counts = &Counts{DynamoDB: map[string]int{}}
		}
		s.seen[id] = true
	}
	switch {
	case strings.HasPrefix(target, "DynamoDB_20120810."):
		op := strings.TrimPrefix(target, "DynamoDB_20120810.")
		counts.DynamoDB[op]++
		return s.dynamoDB(op, body, counts), nil
	case target == "AWSStepFunctions.StartExecution":
		counts.StepFunctions++
		var in map[string]string
		_ = json.Unmarshal(body, &in)
		return answer(200, "application/x-amz-json-1.0", `{"executionArn":"`+in["stateMachineArn"]+`:`+in["name"]+`","startDate":1.7636e9}`), nil
	case target == "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken":
		counts.ECR++
		return answer(200, "application/x-amz-json-1.1", `{"authorizationData":[{"authorizationToken":"QVdTOmJlbmNo","expiresAt":1.7636e9,"proxyEndpoint":"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"}]}`), nil
	case strings.HasPrefix(target, "AnyScaleFrontendService."):
		counts.Scaling++
		switch strings.TrimPrefix(target, "AnyScaleFrontendService.") {
		case "DescribeScalingPolicies":
			return answer(200, "application/x-amz-json-1.1", `{"ScalingPolicies":[]}`), nil
		case "PutScalingPolicy":
			return answer(200, "application/x-amz-json-1.1", `{"PolicyARN":"arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:bench","Alarms":[]}`), nil
		default:
			return answer(200, "application/x-amz-json-1.1", `{}`), nil
		}
	case target == "Logs_20140328.FilterLogEvents":
		counts.Logs++
		return answer(200, "application/x-amz-json-1.1", `{"events":[{"eventId":"e1","timestamp":1764936000000,"logStreamName":"berth/web/0123","message":"Starting container web"}]}`), nil
	case target == "AmazonEC2ContainerServiceV20141113.ListTasks":
		counts.ECS++
		return answer(200, "application/x-amz-json-1.1", `{"taskArns":["arn:aws:ecs:eu-west-1:123456789012:task/berth/0123456789abcdef"]}`), nil
	case strings.HasPrefix(target, "secretsmanager."):
		counts.SecretsManager++
		if target == "secretsmanager.DeleteSecret" {
			return answer(200, "application/x-amz-json-1.1", `{}`), nil
		}
		return answer(200, "application/x-amz-json-1.1", `{"ARN":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:bench-AbCdEf","Name":"bench","VersionId":"v-1"}`), nil
	case isS3(r):
		counts.S3++
		switch r.Method {
		case http.MethodHead: // HeadObject: every key holds a 20-byte artefact
			res := answer(200, "application/octet-stream", "")
			res.Header.Set("Content-Length", "20")
			res.Header.Set("Last-Modified", "Sat, 05 Dec 2026 10:00:00 GMT")
			res.Header.Set("ETag", `"bench"`)
			return res, nil
		case http.MethodDelete: // DeleteObject
			return answer(204, "application/xml", ""), nil
		}
		return answer(400, "application/xml", `<Error><Code>NotImplemented</Code><Message>the bench stub answers HeadObject and DeleteObject only</Message></Error>`), nil
	case strings.HasPrefix(r.URL.Path, "/2015-02-01/access-points"): // EFS's REST API
		counts.EFS++
		if r.Method == http.MethodDelete {
			return answer(204, "application/json", ``), nil
		}
		return answer(200, "application/json", `{"AccessPointId":"fsap-0123456789abcdef0","AccessPointArn":"arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-0123456789abcdef0","LifeCycleState":"available"}`), nil
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"): // the query protocol: CloudWatch, STS
		form, _ := url.ParseQuery(string(body))
		switch form.Get("Action") {
		case "GetMetricData":
			counts.CloudWatch++
			return answer(200, "text/xml", `<GetMetricDataResponse><GetMetricDataResult><MetricDataResults><member><Id>m0_0</Id><Timestamps><member>2026-12-05T10:00:00Z</member></Timestamps><Values><member>12.5</member></Values><StatusCode>Complete</StatusCode></member></MetricDataResults></GetMetricDataResult></GetMetricDataResponse>`), nil
		case "AssumeRole":
			counts.STS++
			return answer(200, "text/xml", `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIABENCH</AccessKeyId><SecretAccessKey>sk</SecretAccessKey><SessionToken>st</SessionToken><Expiration>2026-12-05T11:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`), nil
		}
		return answer(400, "text/xml", `<ErrorResponse><Error><Code>InvalidAction</Code><Message>the bench stub has no answer</Message></Error></ErrorResponse>`), nil
	case strings.HasPrefix(r.URL.Path, "/schedules/"): // EventBridge Scheduler's REST API
		counts.Scheduler++
		if r.Method == http.MethodDelete {
			return answer(200, "application/json", `{}`), nil
		}
		return answer(200, "application/json", `{"ScheduleArn":"arn:aws:scheduler:eu-west-1:123456789012:schedule/bench/`+strings.TrimPrefix(r.URL.Path, "/schedules/")+`"}`), nil
	default: // API Gateway's REST API: usage plans and API keys
		counts.APIGateway++
		switch {
		case r.Method == http.MethodPost:
			return answer(201, "application/json", `{"id":"key-1"}`), nil
		case r.Method == http.MethodGet && r.URL.Path == "/usageplans":
			return answer(200, "application/json", `{"item":[{"id":"plan-1","name":"berth-tokens"}]}`), nil
		case r.Method == http.MethodGet:
			return answer(200, "application/json", `{"item":[{"id":"key-1","name":"`+r.URL.Query().Get("name")+`"}]}`), nil
		default:
			return answer(202, "application/json", `{}`), nil
		}
	}
}

// isS3 reports whether r is an S3 call on the backups bucket: path-style
// (<endpoint>/<bucket>/<key>), as awsartefacts addresses it with an
// endpoint override (boot in TestMatchesBoot, behind an httptest.Server),
// or virtual-hosted (<bucket>.s3.<region>.amazonaws.com/<key>), as it does
// without one (Handler, whose client sends to the Stub directly).
func isS3(r *http.Request) bool {
	bucket := Vars()[boot.EnvBackupsBucket]
	host := r.URL.Host
	if host == "" {
		host = r.Host // a server request
	}
	return strings.HasPrefix(host, bucket+".s3.") || strings.HasPrefix(r.URL.Path, "/"+bucket+"/")
}

func answer(status int, contentType, body string) *http.Response {
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", contentType)
	rec.WriteHeader(status)
	_, _ = rec.WriteString(body)
	return rec.Result()
}

type attrs = map[string]json.RawMessage

type ddbRequest struct {
	Item                      attrs
	Key                       attrs
	IndexName                 string
	KeyConditionExpression    string
	FilterExpression          string
	ExpressionAttributeNames  map[string]string
	ConditionExpression       string
	ExpressionAttributeValues attrs
	ReturnValues              string
	Limit                     int
	ScanIndexForward          *bool
	TransactItems             []struct {
		Put *struct {
			Item                attrs
			ConditionExpression string
		}
		Update *struct {
			Key                 attrs
			ConditionExpression string
		}
		Delete *struct {
			Key                 attrs
			ConditionExpression string
		}
		ConditionCheck *struct {
			Key                 attrs
			ConditionExpression string
		}
	}
}

func str(raw json.RawMessage) string {
	var v struct{ S string }
	_ = json.Unmarshal(raw, &v)
	return v.S
}

func key(a attrs) string { return str(a["pk"]) + "\x00" + str(a["sk"]) }

var (
	eqCond     = regexp.MustCompile(`(\w+) = (:\w+)`)
	prefixCond = regexp.MustCompile(`begins_with\((\w+), (:\w+)\)`)
	rangeCond  = regexp.MustCompile(`(\w+) BETWEEN (:\w+) AND (:\w+)`)
	filterCond = regexp.MustCompile(`(#?\w+) = (:\w+)`)
)

func (s *Stub) dynamoDB(op string, body []byte, counts *Counts) *http.Response {
	var in ddbRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return answer(400, "application/x-amz-json-1.0", `{"__type":"com.amazon.coral.validate#ValidationException","message":"bad JSON"}`)
	}
	out := map[string]any{}
	write := func(cond string) {
		counts.Writes++
		if cond != "" {
			counts.ConditionalWrites++
		}
	}
	switch op {
	case "GetItem":
		if it, ok := s.items[key(in.Key)]; ok {
			out["Item"] = it
		}
	case "PutItem":
		write(in.ConditionExpression)
		if !s.frozen {
			s.items[key(in.Item)] = in.Item
		}
	case "UpdateItem":
		write(in.ConditionExpression)
		if it, ok := s.items[key(in.Key)]; ok && in.ReturnValues != "" && in.ReturnValues != "NONE" {
			out["Attributes"] = it // what was stored: the update is not applied
		}
	case "DeleteItem":
		write(in.ConditionExpression)
		if !s.frozen {
			delete(s.items, key(in.Key))
		}
	case "TransactWriteItems":
		cond := ""
		for _, t := range in.TransactItems {
			switch {
			case t.Put != nil:
				cond += t.Put.ConditionExpression
				if !s.frozen {
					s.items[key(t.Put.Item)] = t.Put.Item
				}
			case t.Update != nil:
				cond += t.Update.ConditionExpression
			case t.Delete != nil:
				cond += t.Delete.ConditionExpression
				if !s.frozen {
					delete(s.items, key(t.Delete.Key))
				}
			case t.ConditionCheck != nil:
				cond += t.ConditionCheck.ConditionExpression
			}
		}
		write(cond)
	case "Query":
		items := s.query(in)
		out["Items"], out["Count"], out["ScannedCount"] = items, len(items), len(items)
	default:
		return answer(400, "application/x-amz-json-1.0", `{"__type":"com.amazon.coral.service#UnknownOperationException"}`)
	}
	raw, _ := json.Marshal(out)
	return answer(200, "application/x-amz-json-1.0", string(raw))
}

func (s *Stub) query(in ddbRequest) []attrs {
	hashAttr, sortAttr := "pk", "sk"
	if in.IndexName != "" {
		hashAttr, sortAttr = "gsi1pk", "gsi1sk"
	}
	var hash, prefix string
	for _, m := range eqCond.FindAllStringSubmatch(in.KeyConditionExpression, -1) {
		if m[1] == hashAttr {
			hash = str(in.ExpressionAttributeValues[m[2]])
		}
	}
	if m := prefixCond.FindStringSubmatch(in.KeyConditionExpression); m != nil {
		prefix = str(in.ExpressionAttributeValues[m[2]])
	}
	lo, hi := "", "\U0010FFFF"
	if m := rangeCond.FindStringSubmatch(in.KeyConditionExpression); m != nil && m[1] == sortAttr {
		lo, hi = str(in.ExpressionAttributeValues[m[2]]), str(in.ExpressionAttributeValues[m[3]])
	}
	// A filter of string equalities (joined by AND), as the data routes'
	// status filter is; applied before Limit, unlike DynamoDB's, since the
	// stub never pages (no LastEvaluatedKey).
	filter := map[string]string{}
	for _, m := range filterCond.FindAllStringSubmatch(in.FilterExpression, -1) {
		name := m[1]
		if n, ok := in.ExpressionAttributeNames[name]; ok {
			name = n
		}
		filter[name] = str(in.ExpressionAttributeValues[m[2]])
	}
	var items []attrs
	for _, it := range s.items {
		sk := str(it[sortAttr])
		if str(it[hashAttr]) != hash || !strings.HasPrefix(sk, prefix) || sk < lo || sk > hi {
			continue
		}
		match := true
		for name, v := range filter {
			match = match && str(it[name]) == v
		}
		if match {
			items = append(items, it)
		}
	}
	slices.SortFunc(items, func(a, b attrs) int { return strings.Compare(str(a[sortAttr]), str(b[sortAttr])) })
	if in.ScanIndexForward != nil && !*in.ScanIndexForward {
		slices.Reverse(items)
	}
	if in.Limit > 0 && len(items) > in.Limit {
		items = items[:in.Limit]
	}
	if items == nil {
		items = []attrs{}
	}
	return items
}
