#!/usr/bin/env bash
# `npm run deploy -- --stage S --region R [serverless deploy options]`.
# Serverless would deploy stage dev to us-east-1 when told neither, and a stage in the wrong region
# is another stack: this asks for both, then runs `serverless deploy` with everything given.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/stage-args.sh
source scripts/stage-args.sh
if [ -z "$stage" ] || [ -z "$region" ]; then
  echo "npm run deploy: name the stage and the region, e.g. \`npm run deploy -- --stage prod --region ap-southeast-1\` (options after the --); without them serverless deploys stage dev to us-east-1." >&2
  exit 2
fi
exec npx serverless deploy "$@"
