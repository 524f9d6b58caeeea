# infra/infra.mk: the CDK app's targets, included from the Makefile.
#
#   make infra-tools    the pinned CDK CLI and a Node.js 22 for it and for jsii,
#                       in .berth/tools (npm --prefix; the root package.json is untouched)
#   make synth          make build, then cdk synth into cdk.out/ (offline)
#   make deploy         make build, then cdk deploy --all (AWS credentials needed)
#   make deploy-site    make site, then copies bin/site into the deployed stack's site bucket
#                       and invalidates its CloudFront distribution (the AWS CLI needed)
#   make diff           cdk diff against the deployed stack
#   make destroy        cdk destroy --all (the table and the ALB log bucket are retained)
#   make cdk-bootstrap  cdk bootstrap, once per account and region
#   make invoke FN=<function> [EVENT=<file>] [SAM_FLAGS=...]
#                       sam local invoke on the synthesized template (SAM and Docker needed)
#
# Pass context with CDK_CONTEXT, e.g.
#   make deploy CDK_CONTEXT="-c berth:certificateArn=arn:aws:acm:... -c berth:platformDomain=apps.example.com"
# (infra/README.md lists every key and its default). Extra CLI flags go in CDK_FLAGS.

CDK_VERSION := 2.1034.0
CDK_NODE_VERSION := 22.23.3
INFRA_TOOLS := .berth/tools
CDK_NODE_PACKAGE := node-linux-$(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x64)
INFRA_NODE_BIN := $(CURDIR)/$(INFRA_TOOLS)/node_modules/$(CDK_NODE_PACKAGE)/bin
INFRA_TOOLS_STAMP := $(INFRA_TOOLS)/.installed-cdk-$(CDK_VERSION)-node-$(CDK_NODE_VERSION)
# Node 22 first on PATH for the CLI and for the jsii kernel that `go run ./infra` spawns;
# no telemetry or notices, so synth works offline.
CDK := PATH="$(INFRA_NODE_BIN):$$PATH" CDK_DISABLE_CLI_TELEMETRY=true \
	$(CURDIR)/$(INFRA_TOOLS)/node_modules/.bin/cdk
CDK_CONTEXT ?=
CDK_FLAGS ?=
# The stack name; change it together with -c berth:stackName=...
STACK ?= Berth
# Extra flags for sam local invoke, e.g. SAM_FLAGS="--env-vars infra/sam-env.json"
SAM_FLAGS ?=

.PHONY: infra-tools synth deploy deploy-site diff destroy cdk-bootstrap invoke

# Included before the Makefile's own targets, this file must not take over
# its default goal; the last line puts it back.
infra_default_goal := $(.DEFAULT_GOAL)

# The infra tests in `go test ./...` need Node 22 from the tools prefix.
test: infra-tools

## infra-tools: the CDK CLI $(CDK_VERSION) and Node.js $(CDK_NODE_VERSION) in $(INFRA_TOOLS)
infra-tools: $(INFRA_TOOLS_STAMP)

$(INFRA_TOOLS_STAMP):
	@mkdir -p $(INFRA_TOOLS)
	npm install --prefix $(INFRA_TOOLS) --no-save --no-package-lock --no-audit --no-fund \
	  aws-cdk@$(CDK_VERSION) $(CDK_NODE_PACKAGE)@$(CDK_NODE_VERSION)
	@"$(INFRA_NODE_BIN)/node" --version >/dev/null
	@rm -f $(INFRA_TOOLS)/.installed-*
	@touch $@

## synth: build every function, then synthesize cdk.out/$(STACK).template.json
synth: build infra-tools
	$(CDK) synth --quiet $(CDK_CONTEXT) $(CDK_FLAGS)

## deploy: build, then deploy every stack (AWS credentials needed)
deploy: build infra-tools
	$(CDK) deploy --all $(CDK_CONTEXT) $(CDK_FLAGS)

## deploy-site: make site, then publish bin/site (the API reference and the web console) to the deployed stack $(STACK)'s site bucket and invalidate its distribution (AWS CLI and credentials needed)
deploy-site: site
	@command -v aws >/dev/null || { echo "make deploy-site needs the AWS CLI: aws is not on PATH" >&2; exit 2; }
	@out() { aws cloudformation describe-stacks --stack-name "$(STACK)" --query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text; }; \
	  bucket=$$(out SiteBucketName) && dist=$$(out SiteDistributionId) && url=$$(out SiteUrl) && \
	  test -n "$$bucket" && test "$$bucket" != None || { echo "stack $(STACK) has no SiteBucketName output: make deploy first" >&2; exit 1; }; \
	  aws s3 sync bin/site "s3://$$bucket" --delete && \
	  aws cloudfront create-invalidation --distribution-id "$$dist" --paths '/*' >/dev/null && \
	  echo "published: $${url}console/index.html and $${url}docs/index.html"

diff: build infra-tools
	$(CDK) diff $(CDK_CONTEXT) $(CDK_FLAGS)

destroy: infra-tools
	$(CDK) destroy --all $(CDK_CONTEXT) $(CDK_FLAGS)

cdk-bootstrap: build infra-tools
	$(CDK) bootstrap $(CDK_CONTEXT) $(CDK_FLAGS)

## invoke: sam local invoke FN (a route, e.g. create-application, or a logical id) with EVENT
# (default events/FN.json) against the freshly synthesized template: the main stack's, or the
# nested stack's (cdk.out/$(STACK)*.nested.template.json) that holds the function, as another
# dialect's routes are (DialectStack).
invoke: synth
	@test -n "$(FN)" || { echo "usage: make invoke FN=<function, e.g. create-application> [EVENT=events/<file>.json]" >&2; exit 2; }
	@command -v sam >/dev/null || { echo "make invoke needs the AWS SAM CLI (and Docker): sam is not on PATH" >&2; exit 2; }
	@id='$(FN)'; case "$$id" in *[A-Z]*) ;; *) id="$$(echo "$$id" | sed -E 's/(^|-)([a-z0-9])/\U\2/g')Function";; esac; \
	  event='$(or $(EVENT),events/$(FN).json)'; \
	  template=$$(grep -l "\"$$id\": {" cdk.out/$(STACK).template.json cdk.out/$(STACK)*.nested.template.json 2>/dev/null | head -n 1); \
	  test -n "$$template" || { echo "no function $$id in cdk.out/$(STACK).template.json or its nested templates" >&2; exit 2; }; \
	  echo "sam local invoke -t $$template $$id -e $$event $(SAM_FLAGS)"; \
	  sam local invoke -t "$$template" "$$id" -e "$$event" $(SAM_FLAGS)

.DEFAULT_GOAL := $(infra_default_goal)
