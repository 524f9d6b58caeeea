package berth

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DataPlaneProps configure what tenants share.
type DataPlaneProps struct {
	// VPCID imports a VPC; empty creates one.
	VPCID       string
	MaxAZs      int
	NATGateways int
	// CertificateARN makes the listener HTTPS; empty leaves it HTTP.
	CertificateARN   string
	ResourcePrefix   string
	LogRetentionDays int
	// DefaultTaskRoleName names DefaultTaskRole (Config.DefaultTaskRoleName).
	DefaultTaskRoleName string
}

// DataPlane is the network and compute tenants share. Per-tenant resources
// (task definitions, services, databases, filesystems, listener rules) are
// created at run time by the workflows, never here.
type DataPlane struct {
	constructs.Construct
	VPC     awsec2.IVpc
	Cluster awsecs.Cluster
	// LoadBalancer is the shared ALB; Listener takes the tenants' rules
	// (HTTPS on 443 with a certificate, else HTTP on 80).
	LoadBalancer elbv2.ApplicationLoadBalancer
	Listener     elbv2.ApplicationListener
	// Security groups: the ALB's; tasks', which only the ALB reaches;
	// databases' and filesystems', which only tasks reach.
	LoadBalancerSecurityGroup awsec2.SecurityGroup
	TaskSecurityGroup         awsec2.SecurityGroup
	DatabaseSecurityGroup     awsec2.SecurityGroup
	FilesystemSecurityGroup   awsec2.SecurityGroup
	DatabaseSubnetGroup       awsrds.SubnetGroup
	// TaskSubnets are where tenants' tasks run.
	TaskSubnets *awsec2.SelectedSubnets
	// TaskExecutionRole pulls tenants' images and secrets and writes their
	// logs, for resources named with the resource prefix only.
	TaskExecutionRole awsiam.Role
	// DefaultTaskRole is the task role of tenants' tasks whose compose
	// definition names none: it allows what ECS Exec needs, nothing else.
	DefaultTaskRole awsiam.Role
}

// NewDataPlane defines the shared data plane.
func NewDataPlane(scope constructs.Construct, id string, props *DataPlaneProps) *DataPlane {
	c := constructs.NewConstruct(scope, jsii.String(id))
	d := &DataPlane{Construct: c}
	stack := awscdk.Stack_Of(scope)

	var taskSubnets, databaseSubnets *awsec2.SubnetSelection
	if props.VPCID != "" {
		d.VPC = awsec2.Vpc_FromLookup(c, jsii.String("Vpc"), &awsec2.VpcLookupOptions{VpcId: jsii.String(props.VPCID)})
		taskSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}
		databaseSubnets = taskSubnets
		if len(*d.VPC.IsolatedSubnets()) > 0 {
			databaseSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
		}
	} else {
		vpc := awsec2.NewVpc(c, jsii.String("Vpc"), &awsec2.VpcProps{
			MaxAzs:      jsii.Number(float64(props.MaxAZs)),
			NatGateways: jsii.Number(float64(props.NATGateways)),
			SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
				{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
				{Name: jsii.String("Tasks"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(20)},
				{Name: jsii.String("Databases"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24)},
			},
		})
		flowLogs := awslogs.NewLogGroup(c, jsii.String("FlowLogs"), &awslogs.LogGroupProps{
			Retention:     retention(props.LogRetentionDays),
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		flowLog := vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
			Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(flowLogs, nil),
			TrafficType: awsec2.FlowLogTrafficType_REJECT,
		})
		// Writing to the log group, which CDK grants the flow log's role.
		inlineDefaultPolicy(flowLog.IamRole())
		d.VPC = vpc
		taskSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}
		databaseSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
	}
	d.TaskSubnets = d.VPC.SelectSubnets(taskSubnets)

	d.Cluster = awsecs.NewCluster(c, jsii.String("Cluster"), &awsecs.ClusterProps{
		Vpc:                            d.VPC,
		ContainerInsightsV2:            awsecs.ContainerInsights_ENABLED,
		EnableFargateCapacityProviders: jsii.Bool(true),
	})

	sg := func(id, description string, allowAllOutbound bool) awsec2.SecurityGroup {
		return awsec2.NewSecurityGroup(c, jsii.String(id), &awsec2.SecurityGroupProps{
			Vpc: d.VPC, Description: jsii.String(description), AllowAllOutbound: jsii.Bool(allowAllOutbound),
		})
	}
	d.LoadBalancerSecurityGroup = sg("LoadBalancerSecurityGroup", "Berth shared ALB: HTTP(S) from anywhere, out to tenant tasks", false)
	d.TaskSecurityGroup = sg("TaskSecurityGroup", "Berth tenant tasks: in from the shared ALB only", true)
	d.DatabaseSecurityGroup = sg("DatabaseSecurityGroup", "Berth tenant databases: MySQL and Postgres from tenant tasks only", false)
	d.FilesystemSecurityGroup = sg("FilesystemSecurityGroup", "Berth tenant EFS filesystems: NFS from tenant tasks only", false)
	// Tenant containers expose ports of their choosing (1 to 65535).
	d.TaskSecurityGroup.AddIngressRule(d.LoadBalancerSecurityGroup, awsec2.Port_AllTcp(), jsii.String("from the shared ALB"), nil)
	d.LoadBalancerSecurityGroup.AddEgressRule(d.TaskSecurityGroup, awsec2.Port_AllTcp(), jsii.String("to tenant tasks"), nil)
	d.DatabaseSecurityGroup.AddIngressRule(d.TaskSecurityGroup, awsec2.Port_Tcp(jsii.Number(3306)), jsii.String("MySQL from tenant tasks"), nil)
	d.DatabaseSecurityGroup.AddIngressRule(d.TaskSecurityGroup, awsec2.Port_Tcp(jsii.Number(5432)), jsii.String("Postgres from tenant tasks"), nil)
	d.FilesystemSecurityGroup.AddIngressRule(d.TaskSecurityGroup, awsec2.Port_Tcp(jsii.Number(2049)), jsii.String("NFS from tenant tasks"), nil)
	// The workflows give each tenant service a security group of its own
	// (shared/cloud/awscloud: only that group, admitting the ALB's), made at
	// run time, so the ALB, databases and filesystems also reach, and admit,
	// the task subnets by address.
	for _, sn := range *d.TaskSubnets.Subnets {
		peer := awsec2.Peer_Ipv4(sn.Ipv4CidrBlock())
		d.LoadBalancerSecurityGroup.AddEgressRule(peer, awsec2.Port_AllTcp(), jsii.String("to tenant services in the task subnets"), nil)
		d.DatabaseSecurityGroup.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(3306)), jsii.String("MySQL from the task subnets"), nil)
		d.DatabaseSecurityGroup.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(5432)), jsii.String("Postgres from the task subnets"), nil)
		d.FilesystemSecurityGroup.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(2049)), jsii.String("NFS from the task subnets"), nil)
	}

	d.DatabaseSubnetGroup = awsrds.NewSubnetGroup(c, jsii.String("DatabaseSubnets"), &awsrds.SubnetGroupProps{
		Description:   jsii.String("Berth tenant databases"),
		Vpc:           d.VPC,
		VpcSubnets:    databaseSubnets,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})

	d.LoadBalancer = elbv2.NewApplicationLoadBalancer(c, jsii.String("LoadBalancer"), &elbv2.ApplicationLoadBalancerProps{
		Vpc:                     d.VPC,
		InternetFacing:          jsii.Bool(true),
		VpcSubnets:              &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		SecurityGroup:           d.LoadBalancerSecurityGroup,
		DropInvalidHeaderFields: jsii.Bool(true),
	})
	notFound := elbv2.ListenerAction_FixedResponse(jsii.Number(404), &elbv2.FixedResponseOptions{
		ContentType: jsii.String("text/plain"), MessageBody: jsii.String("No application answers at this host."),
	})
	if props.CertificateARN != "" {
		d.Listener = d.LoadBalancer.AddListener(jsii.String("Https"), &elbv2.BaseApplicationListenerProps{
			Port:          jsii.Number(443),
			Protocol:      elbv2.ApplicationProtocol_HTTPS,
			Certificates:  &[]elbv2.IListenerCertificate{elbv2.ListenerCertificate_FromArn(jsii.String(props.CertificateARN))},
			SslPolicy:     elbv2.SslPolicy_RECOMMENDED_TLS,
			DefaultAction: notFound,
			Open:          jsii.Bool(true),
		})
		d.LoadBalancer.AddRedirect(&elbv2.ApplicationLoadBalancerRedirectConfig{
			SourcePort: jsii.Number(80), SourceProtocol: elbv2.ApplicationProtocol_HTTP,
			TargetPort: jsii.Number(443), TargetProtocol: elbv2.ApplicationProtocol_HTTPS,
		})
	} else {
		d.Listener = d.LoadBalancer.AddListener(jsii.String("Http"), &elbv2.BaseApplicationListenerProps{
			Port:          jsii.Number(80),
			Protocol:      elbv2.ApplicationProtocol_HTTP,
			DefaultAction: notFound,
			Open:          jsii.Bool(true),
		})
	}
	suppress(d.LoadBalancerSecurityGroup, "AwsSolutions-EC23", "The shared ALB serves tenants' public web applications, so HTTP and HTTPS are open to the internet; nothing else is.")

	if *awscdk.Token_IsUnresolved(stack.Region()) {
		suppress(d.LoadBalancer, "AwsSolutions-ELB2", "The stack is synthesized without a region (no AWS credentials or CDK_DEFAULT_REGION), and ALB access logging needs one; deploys resolve the region and log.")
	} else {
		logs := awss3.NewBucket(c, jsii.String("AccessLogs"), &awss3.BucketProps{
			Encryption:        awss3.BucketEncryption_S3_MANAGED, // the only encryption ALB log delivery supports
			BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			EnforceSSL:        jsii.Bool(true),
			RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
			LifecycleRules: &[]*awss3.LifecycleRule{{
				Expiration: awscdk.Duration_Days(jsii.Number(float64(props.LogRetentionDays))),
			}},
		})
		suppress(logs, "AwsSolutions-S1", "This bucket receives the shared ALB's access logs; logging access to it would need yet another bucket.")
		d.LoadBalancer.LogAccessLogs(logs, jsii.String("alb"))
	}

	d.TaskExecutionRole = newTaskExecutionRole(c, props.ResourcePrefix)
	d.DefaultTaskRole = newDefaultTaskRole(c, props.DefaultTaskRoleName)
	return d
}

// execActions are what the ECS agent's Session Manager channel needs of a
// task's role for ECS Exec (ssmmessages has no resource-level permissions).
var execActions = []string{"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}

// newDefaultTaskRole is the task role of tenants' tasks that name none,
// assumed by ECS tasks of this account: ECS Exec's channels and nothing
// else, in an inline policy. Its name fits the task role pattern, so the
// service step may pass it as it passes the roles tenants name.
func newDefaultTaskRole(scope constructs.Construct, name string) awsiam.Role {
	stack := awscdk.Stack_Of(scope)
	role := awsiam.NewRole(scope, jsii.String("DefaultTaskRole"), &awsiam.RoleProps{
		RoleName: jsii.String(name),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": *stack.Account()}},
		}),
		Description: jsii.String("Berth tenant tasks' default task role: ECS Exec (shell access) only"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"Berth": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings(execActions...), Resources: jsii.Strings("*"),
			})},
		})},
	})
	suppress(role, "AwsSolutions-IAM5", "ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and OpenDataChannel (ECS Exec's Session Manager channels) accept only Resource \"*\"; the role allows nothing else.", "Resource::*")
	return role
}

// newTaskExecutionRole is what AmazonECSTaskExecutionRolePolicy grants,
// limited to resources named with the prefix: ECR repositories prefix/...,
// Secrets Manager secrets prefix/... and log groups /prefix/....
func newTaskExecutionRole(scope constructs.Construct, prefix string) awsiam.Role {
	stack := awscdk.Stack_Of(scope)
	arn := func(service, resource string) string {
		return *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String(service), Resource: jsii.String(resource), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
	}
	statement := func(resource string, actions ...string) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: jsii.Strings(resource)})
	}
	role := awsiam.NewRole(scope, jsii.String("TaskExecutionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("Berth tenant tasks' execution role: pulls " + prefix + "/ images and secrets, writes /" + prefix + "/ logs"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{InlinePolicyName: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{
				statement("*", "ecr:GetAuthorizationToken"),
				statement(arn("ecr", "repository/"+prefix+"/*"), "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"),
				statement(arn("secretsmanager", "secret:"+prefix+"/*"), "secretsmanager:GetSecretValue"),
				statement(arn("logs", "log-group:/"+prefix+"/*"), "logs:CreateLogStream", "logs:PutLogEvents"),
			},
		})},
	})
	suppress(role, "AwsSolutions-IAM5", "ecr:GetAuthorizationToken accepts only Resource \"*\".", "Resource::*")
	suppress(role, "AwsSolutions-IAM5", "Tenant repositories, secrets and log groups are created at run time by the workflows, always under the "+prefix+" prefix; the role reaches nothing else.",
		appliesRegex(`/^Resource::arn:.*:ecr:.*:repository\/`+prefix+`\/\*$/`),
		appliesRegex(`/^Resource::arn:.*:secretsmanager:.*:secret:`+prefix+`\/\*$/`),
		appliesRegex(`/^Resource::arn:.*:logs:.*:log-group:\/`+prefix+`\/\*$/`))
	return role
}
