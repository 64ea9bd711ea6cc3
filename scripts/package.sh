#!/usr/bin/env bash
# `npm run package -- [--stage S] [--region R] [serverless package options]`: packages offline, as
# `serverless deploy` would, and says for which stage and region: a package is for one of each, and
# serverless takes stage dev in us-east-1 when told neither.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/stage-args.sh
source scripts/stage-args.sh
note=''
if [ -z "$stage" ] || [ -z "$region" ]; then
  note=" (serverless's default for what was not given is stage dev, region us-east-1: give --stage and --region)"
fi
echo "npm run package: stage ${stage:-dev}, region ${region:-us-east-1}$note" >&2
exec npx serverless package "$@"
