package berth

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/berth-dev/berth/shared/apps"
)

// AlarmsProps name what to watch.
type AlarmsProps struct {
	API       awsapigateway.RestApi
	Functions map[string]*Function
	Workflows *Workflows
	// TopicARN is notified of every alarm; empty: no action.
	TopicARN string
}

// MetricsPerAlarm is how many metrics one alarm sums at most: an alarm's
// metric math takes at most 10. Throttles are summed over groups of this
// many functions, and each kind of workflow trouble over groups of this
// many state machines (one group for today's seven): an alarm per
// function or per workflow would take a resource each from the
// template's 500.
const MetricsPerAlarm = 10

// workflowTrouble is a kind of workflow trouble that one alarm watches
// across every state machine: the Step Functions metric (AWS/States,
// by StateMachineArn) and what it means.
var workflowTrouble = []struct {
	id, metric, what string
	of               func(sm awsstepfunctions.StateMachine, o *awscloudwatch.MetricOptions) awscloudwatch.Metric
}{
	{"WorkflowsFailed", "ExecutionsFailed", "An execution of a Berth workflow failed",
		func(sm awsstepfunctions.StateMachine, o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
			return sm.MetricFailed(o)
		}},
	{"WorkflowsTimedOut", "ExecutionsTimedOut", "An execution of a Berth workflow timed out",
		func(sm awsstepfunctions.StateMachine, o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
			return sm.MetricTimedOut(o)
		}},
	{"WorkflowsThrottled", "ExecutionThrottled", "Step Functions throttled a Berth workflow",
		func(sm awsstepfunctions.StateMachine, o *awscloudwatch.MetricOptions) awscloudwatch.Metric {
			return sm.MetricThrottled(o)
		}},
}

// sumOf is a metric math expression, m0 + m1 + ..., over metrics. Each
// term is FILL(mN, 0): a function or workflow with no data points in a
// period (nothing happened to it) counts 0 rather than leaving the sum
// without a value for that period.
func sumOf(metrics []awscloudwatch.IMetric, label string) awscloudwatch.MathExpression {
	using := map[string]awscloudwatch.IMetric{}
	var terms []string
	for i, m := range metrics {
		id := fmt.Sprintf("m%d", i)
		using[id] = m
		terms = append(terms, "FILL("+id+", 0)")
	}
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(strings.Join(terms, " + ")), UsingMetrics: &using,
		Label: jsii.String(label), Period: awscdk.Duration_Minutes(jsii.Number(5)),
	})
}

// NewAlarms defines the control plane's alarms. Each fires on the first
// occurrence in five minutes: the API's traffic is low and every 5xx,
// throttle or failed workflow is worth a look. No data is not a breach.
func NewAlarms(scope constructs.Construct, id string, props *AlarmsProps) []awscloudwatch.Alarm {
	c := constructs.NewConstruct(scope, jsii.String(id))
	action := alarmAction(c, props.TopicARN)
	period := alarmPeriod()
	alarms := []awscloudwatch.Alarm{newAlarm(c, action, "Api5xx", props.API.MetricServerError(period), "The Berth API answered 5xx.")}
	add := func(id string, metric awscloudwatch.IMetric, description string) {
		alarms = append(alarms, newAlarm(c, action, id, metric, description))
	}
	alarms = append(alarms, throttleAlarms(c, action, props.Functions)...)
	// Failed, timed-out and throttled executions are each summed over
	// the workflows' state machines; the description says which metric
	// of which state machines to look at for the one in trouble.
	var workflows []apps.Workflow
	for _, w := range apps.Workflows {
		if _, ok := props.Workflows.StateMachines[w]; ok {
			workflows = append(workflows, w)
		}
	}
	for i := 0; i < len(workflows); i += MetricsPerAlarm {
		group := workflows[i:min(i+MetricsPerAlarm, len(workflows))]
		suffix, names, outputs := "", make([]string, len(group)), make([]string, len(group))
		if i > 0 {
			suffix = fmt.Sprint(i/MetricsPerAlarm + 1)
		}
		for j, w := range group {
			names[j], outputs[j] = string(w), StateMachineLogicalID(w)+"Arn"
		}
		for _, k := range workflowTrouble {
			var metrics []awscloudwatch.IMetric
			for _, w := range group {
				metrics = append(metrics, k.of(props.Workflows.StateMachines[w], period))
			}
			add(k.id+suffix, sumOf(metrics, k.metric), fmt.Sprintf("%s (one of %s). Look at the %s metric (AWS/States) of each of their state machines (the stack's outputs %s) for which one, and at its executions in the Step Functions console.",
				k.what, strings.Join(names, ", "), k.metric, strings.Join(outputs, ", ")))
		}
	}
	return alarms
}

// NewFunctionAlarms defines throttle alarms for functions alone (a
// dialect's nested stack alarms on its own functions), as NewAlarms does.
func NewFunctionAlarms(scope constructs.Construct, id string, functions map[string]*Function, topicARN string) []awscloudwatch.Alarm {
	c := constructs.NewConstruct(scope, jsii.String(id))
	return throttleAlarms(c, alarmAction(c, topicARN), functions)
}

// alarmAction notifies the topic; nil for no topic.
func alarmAction(c constructs.Construct, topicARN string) awscloudwatch.IAlarmAction {
	if topicARN == "" {
		return nil
	}
	return awscloudwatchactions.NewSnsAction(awssns.Topic_FromTopicArn(c, jsii.String("Topic"), jsii.String(topicARN)))
}

func alarmPeriod() *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
}

// newAlarm fires on the first occurrence in five minutes.
func newAlarm(c constructs.Construct, action awscloudwatch.IAlarmAction, id string, metric awscloudwatch.IMetric, description string) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(c, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric:             metric,
		AlarmDescription:   jsii.String(description),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	if action != nil {
		a.AddAlarmAction(action)
	}
	return a
}

// throttleAlarms sum the functions' throttles over groups of
// MetricsPerAlarm functions, in name order.
func throttleAlarms(c constructs.Construct, action awscloudwatch.IAlarmAction, functions map[string]*Function) []awscloudwatch.Alarm {
	var alarms []awscloudwatch.Alarm
	names := sortedKeys(functions)
	for i := 0; i < len(names); i += MetricsPerAlarm {
		group := names[i:min(i+MetricsPerAlarm, len(names))]
		var metrics []awscloudwatch.IMetric
		for _, name := range group {
			metrics = append(metrics, functions[name].Function.MetricThrottles(alarmPeriod()))
		}
		alarms = append(alarms, newAlarm(c, action, fmt.Sprintf("FunctionThrottles%d", i/MetricsPerAlarm+1), sumOf(metrics, "Throttles"), "Lambda throttled one of these functions: "+strings.Join(group, ", ")+"."))
	}
	return alarms
}
