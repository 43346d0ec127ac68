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

# The Redis and etcd provider tests start their own redis-server and etcd on ephemeral loopback
# ports; they need the binaries only. Installed when missing (idempotent); RUNLEVEL=1 keeps the
# packages from starting system daemons on 6379/2379, which no test uses.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
# The Docker provider tests start a private dockerd (its own socket and data in a temp folder) and
# run containers of a busybox-static image they import themselves: no registry is contacted.
command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  as_root() {
    if [ "$(id -u)" -eq 0 ]; then env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 "$@"
    else echo "the tests need ${missing[*]}: run as root: apt-get install -y ${missing[*]}" >&2; exit 1
    fi
  }
  apt_log="$(mktemp)"
  echo "installing ${missing[*]} (apt-get) ..."
  # Fetch package lists only when the install fails for lack of them.
  if ! as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >"$apt_log" 2>&1; then
    if ! { as_root apt-get update -q && as_root apt-get install -y -q --no-install-recommends "${missing[@]}"; } >>"$apt_log" 2>&1; then
      cat "$apt_log" >&2
      echo "could not install ${missing[*]}; install them by hand: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  rm -f "$apt_log"
fi

npm ci --no-audit --no-fund
npm run build

# Runs vitest with a JSON report and prints one plain closing line that any CI can read.
run_suite() {
  local label="$1"; shift
  local report
  report="$(mktemp -d)/vitest.json"
  set +e
  npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
  local status=$?
  set -e
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`${process.argv[2]}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  ' "$report" "$label" || echo "$label: no report written (vitest exit $status)"
  return "$status"
}

status=0
run_suite "tests" || status=$?
# The integration suite again with `workers: 2`: the test process is the primary and two
# worker processes (from dist/) serve the traffic.
SWITCHYARD_TEST_WORKERS=2 run_suite "tests (workers: 2)" test/integration || status=$?
exit "$status"
