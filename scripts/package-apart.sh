#!/usr/bin/env bash
# Usage: scripts/package-apart.sh OUT [serverless package options]
# Packages the stack into OUT from a copy of this folder, for the tests and `npm run lint:stack`.
# osls uses <service>/.serverless as its working folder whatever --package says: it empties it
# first and removes it after moving the package out, so packaging here in place would delete the
# .serverless/ of your last `npm run package`. The copy costs ~30 ms (node_modules is linked).
set -euo pipefail
out=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
# The top-level files and folders, without the dot folders (.serverless, .esbuild, .local, .git).
for entry in "$root"/*; do
  [ "$(basename "$entry")" = node_modules ] || cp -R "$entry" "$copy/"
done
ln -s "$root/node_modules" "$copy/node_modules"
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$copy"
npx serverless package --package "$out" "$@"
