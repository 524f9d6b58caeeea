package berth

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Site is where the web assets are published: the API reference (/docs)
// and the web console (/console) that `make site` writes to bin/site, in a
// private bucket behind a CloudFront distribution. The distribution also
// sends /api/* to the REST API, so that the console calls the API on its
// own origin, as it does under `make run`, and needs no CORS.
//
// It is five resources: the bucket, its policy, CloudFront's origin access
// control, the API's cache policy and the distribution. The files are not
// part of the stack (a BucketDeployment would add a function, a role, a
// policy, a layer and a custom resource); `make deploy-site` copies
// bin/site into the bucket after `make deploy`.
type Site struct {
	Bucket       awss3.Bucket
	Distribution awscloudfront.Distribution
}

// SiteProps configure a Site.
type SiteProps struct {
	API awsapigateway.RestApi
}

// SiteIndex is the page the distribution's root serves. Pages link to each
// other's index.html: CloudFront serves an S3 origin's folders only by
// their full object keys.
const SiteIndex = "console/index.html"

// NewSite defines the site's bucket and distribution.
func NewSite(scope constructs.Construct, id string, props *SiteProps) *Site {
	c := constructs.NewConstruct(scope, jsii.String(id))
	bucket := awss3.NewBucket(c, jsii.String("Bucket"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(false),
		// Only build output: `make site` and `make deploy-site` write it again.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	suppress(bucket, "AwsSolutions-S1", "The bucket holds only the built web assets (make site), which make deploy-site replaces; reads are logged by CloudFront's standard logging when it is turned on, and nothing else reads the bucket.")

	// The API's responses are never cached (they carry Cache-Control:
	// no-store or private); Authorization is in the key so that CloudFront
	// forwards it on GET and HEAD too, and no answer can cross tokens.
	apiCache := awscloudfront.NewCachePolicy(c, jsii.String("ApiCachePolicy"), &awscloudfront.CachePolicyProps{
		Comment:                  jsii.String("Berth API through the site's distribution: the token in the key, nothing kept past the API's Cache-Control"),
		MinTtl:                   awscdk.Duration_Seconds(jsii.Number(0)),
		DefaultTtl:               awscdk.Duration_Seconds(jsii.Number(0)),
		MaxTtl:                   awscdk.Duration_Seconds(jsii.Number(1)),
		HeaderBehavior:           awscloudfront.CacheHeaderBehavior_AllowList(jsii.String("Authorization")),
		QueryStringBehavior:      awscloudfront.CacheQueryStringBehavior_All(),
		CookieBehavior:           awscloudfront.CacheCookieBehavior_None(),
		EnableAcceptEncodingGzip: jsii.Bool(true),
	})
	dist := awscloudfront.NewDistribution(c, jsii.String("Distribution"), &awscloudfront.DistributionProps{
		Comment:                jsii.String("Berth API reference (/docs/index.html) and web console (/console/index.html), with the API at /api/"),
		DefaultRootObject:      jsii.String(SiteIndex),
		MinimumProtocolVersion: awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021,
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, nil),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			ResponseHeadersPolicy: awscloudfront.ResponseHeadersPolicy_SECURITY_HEADERS(),
		},
		AdditionalBehaviors: &map[string]*awscloudfront.BehaviorOptions{
			"/api/*": {
				Origin:               awscloudfrontorigins.NewRestApiOrigin(props.API, nil),
				ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
				AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
				CachePolicy:          apiCache,
				// Everything but Host, which must stay API Gateway's.
				OriginRequestPolicy: awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			},
		},
	})
	suppress(dist, "AwsSolutions-CFR1", "The console and API reference are for every Berth user, wherever they are; the API behind /api/ authenticates each request with its token.")
	suppress(dist, "AwsSolutions-CFR2", "No WAF web ACL: the API behind /api/ already has API Gateway's stage and per-token throttling, and the rest is static files; an operator can attach one.")
	suppress(dist, "AwsSolutions-CFR3", "Standard logging needs a bucket with ACLs enabled, one more resource in a template near CloudFormation's 500; API requests are logged by API Gateway's access log.")
	suppress(dist, "AwsSolutions-CFR4", "Without a custom domain the distribution uses CloudFront's default certificate, whose minimum protocol CloudFront sets; with one, TLSv1.2_2021 is the minimum.")
	return &Site{Bucket: bucket, Distribution: dist}
}
