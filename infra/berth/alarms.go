package berth

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
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

// ThrottleAlarmGroup is how many functions' throttles one alarm watches.
const ThrottleAlarmGroup = 10

// NewAlarms defines the control plane's alarms. Each fires on the first
// occurrence in five minutes: the API's traffic is low and every 5xx,
// throttle or failed workflow is worth a look. No data is not a breach.
func NewAlarms(scope constructs.Construct, id string, props *AlarmsProps) []awscloudwatch.Alarm {
	c := constructs.NewConstruct(scope, jsii.String(id))
	var action awscloudwatch.IAlarmAction
	if props.TopicARN != "" {
		action = awscloudwatchactions.NewSnsAction(awssns.Topic_FromTopicArn(c, jsii.String("Topic"), jsii.String(props.TopicARN)))
	}
	period := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
	var alarms []awscloudwatch.Alarm
	add := func(id string, metric awscloudwatch.IMetric, description string) {
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
		alarms = append(alarms, a)
	}
	add("Api5xx", props.API.MetricServerError(period), "The Berth API answered 5xx.")
	// Throttles are summed over groups of functions (an alarm's metric math
	// takes at most 10 metrics): an alarm per function would take a
	// resource each from the template's 500.
	names := sortedKeys(props.Functions)
	for i := 0; i < len(names); i += ThrottleAlarmGroup {
		group := names[i:min(i+ThrottleAlarmGroup, len(names))]
		using := map[string]awscloudwatch.IMetric{}
		var terms []string
		for j, name := range group {
			using[fmt.Sprintf("m%d", j)] = props.Functions[name].Function.MetricThrottles(period)
			terms = append(terms, fmt.Sprintf("m%d", j))
		}
		sum := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(strings.Join(terms, "+")), UsingMetrics: &using, Period: awscdk.Duration_Minutes(jsii.Number(5)),
		})
		add(fmt.Sprintf("FunctionThrottles%d", i/ThrottleAlarmGroup+1), sum, "Lambda throttled one of these functions: "+strings.Join(group, ", ")+".")
	}
	for _, w := range apps.Workflows {
		sm, ok := props.Workflows.StateMachines[w]
		if !ok {
			continue
		}
		add(pascal(string(w))+"Failed", sm.MetricFailed(period), "An execution of the "+string(w)+" workflow failed.")
		add(pascal(string(w))+"TimedOut", sm.MetricTimedOut(period), "An execution of the "+string(w)+" workflow timed out.")
		add(pascal(string(w))+"Throttled", sm.MetricThrottled(period), "Step Functions throttled the "+string(w)+" workflow.")
	}
	return alarms
}
