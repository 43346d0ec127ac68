#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine (Debian 12, Node 20, root)
# and runs the whole suite. CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

need_node="20.19.0"
have_node="$(node -p 'process.versions.node' 2>/dev/null || echo 0)"
if ! node -e "const [a,b]=process.argv.slice(1).map(v=>v.split('.').map(Number));process.exit(a[0]>b[0]||(a[0]===b[0]&&(a[1]>b[1]||(a[1]===b[1]&&a[2]>=b[2])))?0:1)" "$have_node" "$need_node"; then
  echo "switchyard needs Node.js >= $need_node (found $have_node). Install Node 20 LTS: https://nodejs.org/en/download" >&2
  exit 1
fi

# The suite needs no system servers yet: every test starts its own backends on loopback.
# (Providers for Redis, etcd and Docker add their apt packages here when they land.)

npm ci --no-audit --no-fund
npm run build

report="$(mktemp -d)/vitest.json"
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$report"
status=$?
set -e
# One plain closing line that any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$report" || echo "tests: no report written (vitest exit $status)"
exit "$status"
