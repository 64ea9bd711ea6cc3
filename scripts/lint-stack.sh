#!/usr/bin/env bash
# Packages the stack as `serverless deploy` would (offline, no AWS credentials) and lints each
# CloudFormation template with cfn-lint: once with the default stage parameters, once with every
# option on. Any error, or any warning not ignored below, fails. `npm run lint:stack`; .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cfn-lint >/dev/null; then
  echo "lint-stack: cfn-lint is not on PATH. It is a Python tool (https://github.com/aws-cloudformation/cfn-lint):" >&2
  echo "lint-stack: install it (e.g. 'pipx install cfn-lint'), or run this where it is installed (the CI image)." >&2
  exit 1
fi

# Rules ignored everywhere, and why:
# - W3005 (DependsOn already enforced by a Ref or GetAtt): serverless writes these DependsOn itself
#   (each function on its role, the route on its integration); harmless, and not ours to change.
# - W8003 (Fn::Equals always true or false): the conditions compare stage parameters that
#   serverless resolves at package time, so each package has constant conditions by design; they
#   remain only to drop properties with AWS::NoValue and resources that the options leave out.
# One rule is ignored on one resource, in serverless.yml: E1159 on CallbackDomain (see there).
ignored=(W3005 W8003)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Whatever the caller's AWS profile: packaging needs no account, and the template must not depend on one.
export AWS_ACCESS_KEY_ID='' AWS_SECRET_ACCESS_KEY='' AWS_SESSION_TOKEN='' AWS_PROFILE=none

lint() {
  local name=$1 region=$2
  shift 2
  echo "lint-stack: $name ($region)"
  # From a copy of the service: packaging in place would delete the user's .serverless/.
  bash scripts/package-apart.sh "$out/$name" --stage lint --region "$region" "$@" >"$out/$name.log" 2>&1 || {
    cat "$out/$name.log" >&2
    exit 1
  }
  cfn-lint --regions "$region" --ignore-checks "${ignored[@]}" -- "$out/$name/cloudformation-template-update-stack.json"
}

lint defaults us-east-1

# Every option on, in another region: custom domain and its certificate, X-Ray, an alarm address,
# tables deleted with the stack, OK notifications, both reservations, other flood limits, the
# one-minute orphan check (the singular rate expression), reconciliation (a ServerSecret parameter,
# a regional ZEGO API host), the hooks' managed policies and settings path, no API access log, run
# events on the stack's own bus with an archive.
lint all-options eu-west-1 \
  --param domainName=callbacks.example.com \
  --param certificateArn=arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000000 \
  --param tracing=Active \
  --param alarmEmail=ops@example.com \
  --param keepTables=false \
  --param keepPreviousRunningIndex=true \
  --param tableWarmWritesPerSecond=5000 \
  --param alarmOkNotifications=true \
  --param ingestReservedConcurrency=20 \
  --param consumerReservedConcurrency=10 \
  --param consumerMaxConcurrency=10 \
  --param apiThrottleRate=50.5 \
  --param apiThrottleBurst=100 \
  --param orphanCheckMinutes=1 \
  --param serverSecretParam=/zego-mix-callbacks/lint/server-secret \
  --param zegoApiEndpoint=https://rtc-api-sgp.zego.im \
  --param reconcileAfterMinutes=5 \
  --param alarmReconcileFailedChecks=4 \
  --param hookPolicyArns=arn:aws:iam::123456789012:policy/billing-writer,arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess \
  --param hookParametersPath=/zego-mix-callbacks/lint/hooks \
  --param apiAccessLogs=false \
  --param publishEvents=true \
  --param eventArchiveDays=30 \
  --param alarmEventPublishFailures=2

# Run events on an existing bus, named by ARN (no bus, no archive of ours).
lint external-bus us-east-1 \
  --param publishEvents=true \
  --param eventBusName=arn:aws:events:us-east-1:123456789012:event-bus/shared

echo "lint-stack: no errors, no warnings"
