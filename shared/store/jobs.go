package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/jobs"
)

// Jobs live in the environment's history partition, beside its releases
// and deployments, so that deleting the environment deletes them:
//
//	item       pk                                    sk
//	command    ORG#<org>#APP#<app>#ENV#<env>#<uid>   RUN#<run id>
//	cron job   ORG#<org>#APP#<app>#ENV#<env>#<uid>   CRONJOB#<name>
//	cron run   ORG#<org>#APP#<app>#ENV#<env>#<uid>   CRONRUN#<name>#<run id>
//
// Run ids start with their time, so the sort key orders runs.
const (
	commandPrefix = "RUN#"
	cronPrefix    = "CRONJOB#"
	cronRunPrefix = "CRONRUN#"
	// updateAttempts bounds UpdateRun's read-modify-write retries.
	updateAttempts = 5
)

func runSK(cron, id string) string {
	if cron == "" {
		return commandPrefix + id
	}
	return cronRunPrefix + cron + "#" + id
}

func runsPrefix(cron string) string {
	if cron == "" {
		return commandPrefix
	}
	return cronRunPrefix + cron + "#"
}

type runItem struct {
	PK              string    `dynamodbav:"pk"`
	SK              string    `dynamodbav:"sk"`
	Kind            string    `dynamodbav:"kind"`
	ID              string    `dynamodbav:"id"`
	Type            string    `dynamodbav:"runType"`
	Cron            string    `dynamodbav:"cron,omitempty"`
	Command         []string  `dynamodbav:"command"`
	Shell           bool      `dynamodbav:"shell,omitempty"`
	Container       string    `dynamodbav:"container"`
	TimeoutSeconds  int64     `dynamodbav:"timeoutSeconds"`
	Status          string    `dynamodbav:"status"`
	ExitCode        *int      `dynamodbav:"exitCode,omitempty"`
	Output          []string  `dynamodbav:"output,omitempty"`
	Reason          string    `dynamodbav:"reason,omitempty"`
	TaskARN         string    `dynamodbav:"taskArn,omitempty"`
	LogGroup        string    `dynamodbav:"logGroup,omitempty"`
	LogStream       string    `dynamodbav:"logStream,omitempty"`
	CancelRequested bool      `dynamodbav:"cancelRequested,omitempty"`
	TimedOut        bool      `dynamodbav:"timedOut,omitempty"`
	ScheduledTime   time.Time `dynamodbav:"scheduledTime,omitempty"`
	Execution       string    `dynamodbav:"execution"`
	CreatedBy       string    `dynamodbav:"createdBy,omitempty"`
	CreatedAt       time.Time `dynamodbav:"createdAt"`
	StartedAt       time.Time `dynamodbav:"startedAt,omitempty"`
	EndedAt         time.Time `dynamodbav:"endedAt,omitempty"`
	Version         int64     `dynamodbav:"version"`
	// TTL removes a finished run RunRetention after it ended.
	TTL int64 `dynamodbav:"ttl,omitempty"`
}

// runExpiry is when a run's item may go: RunRetention after a finished
// run ended; never (0) while it is pending or running.
func runExpiry(r jobs.Run) int64 {
	if !r.Status.Finished() {
		return 0
	}
	ended := r.EndedAt
	if ended.IsZero() {
		ended = r.CreatedAt
	}
	return ended.Add(RunRetention).Unix()
}

func toRunItem(e apps.Environment, r jobs.Run) runItem {
	return runItem{TTL: runExpiry(r), PK: historyPK(e), SK: runSK(r.Cron, r.ID), Kind: "run", ID: r.ID, Type: r.Type, Cron: r.Cron,
		Command: r.Command, Shell: r.Shell, Container: r.Container, TimeoutSeconds: int64(r.Timeout / time.Second),
		Status: string(r.Status), ExitCode: r.ExitCode, Output: r.Output, Reason: r.Reason, TaskARN: r.TaskARN,
		LogGroup: r.LogGroup, LogStream: r.LogStream, CancelRequested: r.CancelRequested, TimedOut: r.TimedOut,
		ScheduledTime: r.ScheduledTime, Execution: r.Execution, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt,
		StartedAt: r.StartedAt, EndedAt: r.EndedAt, Version: r.Version}
}

func (it runItem) record() jobs.Run {
	return jobs.Run{ID: it.ID, Type: it.Type, Cron: it.Cron, Command: it.Command, Shell: it.Shell, Container: it.Container,
		Timeout: time.Duration(it.TimeoutSeconds) * time.Second, Status: jobs.Status(it.Status), ExitCode: it.ExitCode,
		Output: it.Output, Reason: it.Reason, TaskARN: it.TaskARN, LogGroup: it.LogGroup, LogStream: it.LogStream,
		CancelRequested: it.CancelRequested, TimedOut: it.TimedOut, ScheduledTime: it.ScheduledTime, Execution: it.Execution,
		CreatedBy: it.CreatedBy, CreatedAt: it.CreatedAt, StartedAt: it.StartedAt, EndedAt: it.EndedAt, Version: it.Version}
}

type cronItem struct {
	PK             string    `dynamodbav:"pk"`
	SK             string    `dynamodbav:"sk"`
	Kind           string    `dynamodbav:"kind"`
	Name           string    `dynamodbav:"name"`
	Description    string    `dynamodbav:"description,omitempty"`
	Expression     string    `dynamodbav:"scheduleExpression"`
	Command        []string  `dynamodbav:"command"`
	Container      string    `dynamodbav:"container"`
	Enabled        bool      `dynamodbav:"enabled"`
	TimeoutSeconds int64     `dynamodbav:"timeoutSeconds"`
	Running        string    `dynamodbav:"running,omitempty"`
	RunningUntil   time.Time `dynamodbav:"runningUntil,omitempty"`
	CreatedBy      string    `dynamodbav:"createdBy,omitempty"`
	CreatedAt      time.Time `dynamodbav:"createdAt"`
	UpdatedAt      time.Time `dynamodbav:"updatedAt"`
	Version        int64     `dynamodbav:"version"`
}

func toCronItem(e apps.Environment, c jobs.Cron) cronItem {
	return cronItem{PK: historyPK(e), SK: cronPrefix + c.Name, Kind: "cron", Name: c.Name, Description: c.Description,
		Expression: c.Expression, Command: c.Command, Container: c.Container, Enabled: c.Enabled,
		TimeoutSeconds: int64(c.Timeout / time.Second), Running: c.Running, RunningUntil: c.RunningUntil,
		CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version}
}

func (it cronItem) record() jobs.Cron {
	return jobs.Cron{Name: it.Name, Description: it.Description, Expression: it.Expression, Command: it.Command,
		Container: it.Container, Enabled: it.Enabled, Timeout: time.Duration(it.TimeoutSeconds) * time.Second,
		Running: it.Running, RunningUntil: it.RunningUntil, CreatedBy: it.CreatedBy, CreatedAt: it.CreatedAt,
		UpdatedAt: it.UpdatedAt, Version: it.Version}
}

func checkFailed(err error) bool {
	var failed *types.ConditionalCheckFailedException
	return errors.As(err, &failed)
}

// FindEnvironments implements jobs.Store: one Query of gsi1, where every
// environment is also keyed by its organisation and name.
func (t *Table) FindEnvironments(ctx context.Context, org, name string) ([]apps.Environment, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		IndexName:                 aws.String(IndexByOrganisation),
		KeyConditionExpression:    aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(environmentGSI1PK(org, name))},
	}
	var envs []apps.Environment
	for {
		out, err := t.Client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("find environment %q: %w", name, err)
		}
		for _, item := range out.Items {
			if expired(item, time.Now()) {
				continue
			}
			e, err := unmarshalEnvironment(item)
			if err != nil {
				return nil, err
			}
			envs = append(envs, e)
		}
		if out.LastEvaluatedKey == nil {
			return envs, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// CreateRun implements jobs.Store.
func (t *Table) CreateRun(ctx context.Context, env apps.Environment, run jobs.Run) error {
	run.Version = 1
	item, err := attributevalue.MarshalMap(toRunItem(env, run))
	if err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	_, err = t.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if checkFailed(err) {
		return apps.Conflict("run %s exists", run.ID)
	}
	if err != nil {
		return fmt.Errorf("create run %s: %w", run.ID, err)
	}
	return nil
}

// GetRun implements jobs.Store. A cron job's run is named "<cron>/<id>".
func (t *Table) GetRun(ctx context.Context, env apps.Environment, runKey string) (jobs.Run, error) {
	cron, id := jobs.SplitRunKey(runKey)
	out, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name),
		Key: key(historyPK(env), runSK(cron, id)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return jobs.Run{}, fmt.Errorf("get run %s: %w", id, err)
	}
	if out.Item == nil || expired(out.Item, time.Now()) {
		return jobs.Run{}, apps.NotFound("no command %q in environment %q", id, env.Name)
	}
	var it runItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return jobs.Run{}, fmt.Errorf("decode run %s: %w", id, err)
	}
	return it.record(), nil
}

// ListRuns implements jobs.Store.
func (t *Table) ListRuns(ctx context.Context, env apps.Environment, cron string, page apps.PageRequest) (apps.Page[jobs.Run], error) {
	prefix := runsPrefix(cron)
	in := &dynamodb.QueryInput{
		TableName:              aws.String(t.Name),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(historyPK(env)), ":prefix": str(prefix),
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(page.Limit + 1)),
	}
	if page.After != "" {
		in.ExclusiveStartKey = key(historyPK(env), prefix+page.After)
	}
	out, err := t.Client.Query(ctx, in)
	if err != nil {
		return apps.Page[jobs.Run]{}, fmt.Errorf("list runs: %w", err)
	}
	var res apps.Page[jobs.Run]
	now := time.Now()
	for _, item := range out.Items {
		if expired(item, now) {
			continue // finished more than RunRetention ago; DynamoDB has yet to delete it
		}
		var it runItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return apps.Page[jobs.Run]{}, fmt.Errorf("decode run: %w", err)
		}
		res.Items = append(res.Items, it.record())
	}
	res.Items, res.Next = trimPage(res.Items, page.Limit, out.LastEvaluatedKey != nil, func(r jobs.Run) string { return r.ID })
	return res, nil
}

// UpdateRun implements jobs.Store: read, change, and put on the version
// read, again from the top when another write came first.
func (t *Table) UpdateRun(ctx context.Context, env apps.Environment, cron, id string, change func(*jobs.Run) error) (jobs.Run, error) {
	runKey := id
	if cron != "" {
		runKey = cron + "/" + id
	}
	for attempt := 0; ; attempt++ {
		run, err := t.GetRun(ctx, env, runKey)
		if err != nil {
			return jobs.Run{}, err
		}
		if err := change(&run); err != nil {
			return jobs.Run{}, err
		}
		read := run.Version
		run.Version++
		item, err := attributevalue.MarshalMap(toRunItem(env, run))
		if err != nil {
			return jobs.Run{}, fmt.Errorf("encode run: %w", err)
		}
		_, err = t.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: item,
			ConditionExpression:       aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(read)}})
		switch {
		case err == nil:
			return run, nil
		case !checkFailed(err):
			return jobs.Run{}, fmt.Errorf("update run %s: %w", id, err)
		case attempt+1 == updateAttempts:
			return jobs.Run{}, apps.Unavailable(err, "run %s is changing too often; retry the request", id)
		}
	}
}

// CreateCron implements jobs.Store.
func (t *Table) CreateCron(ctx context.Context, env apps.Environment, c jobs.Cron) error {
	item, err := attributevalue.MarshalMap(toCronItem(env, c))
	if err != nil {
		return fmt.Errorf("encode cron job: %w", err)
	}
	_, err = t.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if checkFailed(err) {
		return apps.Conflict("environment %q has a cron job named %q already", env.Name, c.Name)
	}
	if err != nil {
		return fmt.Errorf("create cron job %q: %w", c.Name, err)
	}
	return nil
}

// GetCron implements jobs.Store.
func (t *Table) GetCron(ctx context.Context, env apps.Environment, name string) (jobs.Cron, error) {
	out, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name),
		Key: key(historyPK(env), cronPrefix+name), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return jobs.Cron{}, fmt.Errorf("get cron job %q: %w", name, err)
	}
	if out.Item == nil {
		return jobs.Cron{}, apps.NotFound("no cron job %q in environment %q", name, env.Name)
	}
	var it cronItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return jobs.Cron{}, fmt.Errorf("decode cron job %q: %w", name, err)
	}
	return it.record(), nil
}

// ListCrons implements jobs.Store: by name.
func (t *Table) ListCrons(ctx context.Context, env apps.Environment, page apps.PageRequest) (apps.Page[jobs.Cron], error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(t.Name),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(historyPK(env)), ":prefix": str(cronPrefix),
		},
		Limit: aws.Int32(int32(page.Limit + 1)),
	}
	if page.After != "" {
		in.ExclusiveStartKey = key(historyPK(env), cronPrefix+page.After)
	}
	out, err := t.Client.Query(ctx, in)
	if err != nil {
		return apps.Page[jobs.Cron]{}, fmt.Errorf("list cron jobs: %w", err)
	}
	var res apps.Page[jobs.Cron]
	for _, item := range out.Items {
		var it cronItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return apps.Page[jobs.Cron]{}, fmt.Errorf("decode cron job: %w", err)
		}
		res.Items = append(res.Items, it.record())
	}
	res.Items, res.Next = trimPage(res.Items, page.Limit, out.LastEvaluatedKey != nil, func(c jobs.Cron) string { return c.Name })
	return res, nil
}

// PutCron implements jobs.Store. The run claim is the workflow's, so it
// is kept as stored, not as c holds it.
func (t *Table) PutCron(ctx context.Context, env apps.Environment, c jobs.Cron) error {
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(t.Name),
		Key:       key(historyPK(env), cronPrefix+c.Name),
		UpdateExpression: aws.String("SET description = :d, scheduleExpression = :e, command = :c, container = :k, enabled = :on, " +
			"timeoutSeconds = :t, updatedAt = :u, version = :v"),
		ConditionExpression: aws.String("version = :was"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":d": str(c.Description), ":e": str(c.Expression), ":c": strList(c.Command), ":k": str(c.Container),
			":on": &types.AttributeValueMemberBOOL{Value: c.Enabled}, ":t": num(int64(c.Timeout / time.Second)),
			":u": timeAV(c.UpdatedAt), ":v": num(c.Version), ":was": num(c.Version - 1),
		},
	})
	if checkFailed(err) {
		return apps.Conflict("cron job %q changed meanwhile (or was deleted); read it and retry", c.Name)
	}
	if err != nil {
		return fmt.Errorf("update cron job %q: %w", c.Name, err)
	}
	return nil
}

func strList(ss []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(ss))
	for i, s := range ss {
		l[i] = str(s)
	}
	return &types.AttributeValueMemberL{Value: l}
}

// DeleteCron implements jobs.Store.
func (t *Table) DeleteCron(ctx context.Context, env apps.Environment, name string) error {
	_, err := t.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(t.Name), Key: key(historyPK(env), cronPrefix+name)})
	if err != nil {
		return fmt.Errorf("delete cron job %q: %w", name, err)
	}
	return nil
}

// ClaimCron implements jobs.Store.
func (t *Table) ClaimCron(ctx context.Context, env apps.Environment, name, run string, now, until time.Time) error {
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(t.Name),
		Key:                 key(historyPK(env), cronPrefix+name),
		UpdateExpression:    aws.String("SET running = :run, runningUntil = :until"),
		ConditionExpression: aws.String("attribute_exists(pk) AND (attribute_not_exists(running) OR running = :none OR running = :run OR runningUntil < :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":run": str(run), ":none": str(""), ":until": timeAV(until), ":now": timeAV(now),
		},
	})
	if !checkFailed(err) {
		if err != nil {
			return fmt.Errorf("claim cron job %q: %w", name, err)
		}
		return nil
	}
	c, gerr := t.GetCron(ctx, env, name)
	if gerr != nil {
		return gerr
	}
	return apps.Conflict("run %s of cron job %q is still going", c.Running, name)
}

// ReleaseCron implements jobs.Store.
func (t *Table) ReleaseCron(ctx context.Context, env apps.Environment, name, run string) error {
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       key(historyPK(env), cronPrefix+name),
		UpdateExpression:          aws.String("REMOVE running, runningUntil"),
		ConditionExpression:       aws.String("running = :run"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":run": str(run)},
	})
	if err != nil && !checkFailed(err) {
		return fmt.Errorf("release cron job %q: %w", name, err)
	}
	return nil
}

// environmentGSI1PK keys an environment by organisation and name in gsi1,
// apart from the organisation's applications (gsi1pk ORG#<org>).
func environmentGSI1PK(org, name string) string { return orgKey(org) + "#ENV#" + name }
