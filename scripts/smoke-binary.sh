#!/usr/bin/env bash
# Smoke test and start-up measurements of the standalone binary, run the way a user gets it:
# alone in an empty directory with an empty environment. Prints size, `--version` time and
# spawn-to-/health-200 time (first start, which extracts the SQLite addon, then warm starts).
#
#   scripts/smoke-binary.sh [path/to/ai-gateway-linux-x64]     (needs curl)
set -euo pipefail

binary=${1:-dist/ai-gateway-linux-x64}
[[ -x $binary ]] || { echo "smoke-binary: $binary not found; run npm run build:binary" >&2; exit 2; }
command -v curl >/dev/null || { echo "smoke-binary: curl is required" >&2; exit 2; }

work=$(mktemp -d)
gateway_pid=
cleanup() {
  if [[ -n $gateway_pid ]]; then kill "$gateway_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cp "$binary" "$work/ai-gateway"
cd "$work"

run_bare() { env -i PATH=/nonexistent HOME="$work" "$work/ai-gateway" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "size: $(du -m "$work/ai-gateway" | cut -f1) MB ($(gzip -c "$work/ai-gateway" | wc -c | awk '{ printf "%.0f", $1 / 1048576 }') MB gzipped)"

version=$(run_bare --version)
echo "version: $version"
version_ms=$(for _ in 1 2 3 4 5 6 7; do
  start=$(now_ms); run_bare --version >/dev/null; echo $(($(now_ms) - start))
done | median)
echo "--version: $version_ms ms (median of 7)"

# A random high port is free almost always on a build machine.
start_once() {
  local port=$((20000 + RANDOM % 40000)) start ready
  start=$(now_ms)
  # Started directly, not through run_bare: a backgrounded function is a subshell, and $! would
  # be that shell instead of the gateway.
  env -i PATH=/nonexistent HOME="$work" "$work/ai-gateway" --demo --no-tui -p "$port" --db "$work/demo-$port.db" \
    >"$work/gateway-$port.log" 2>&1 &
  gateway_pid=$!
  until curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; do
    if ! kill -0 "$gateway_pid" 2>/dev/null; then
      echo "smoke-binary: gateway exited before it was ready:" >&2
      cat "$work/gateway-$port.log" >&2
      return 1
    fi
    if (($(now_ms) - start > 20000)); then echo "smoke-binary: not ready after 20 s" >&2; return 1; fi
    sleep 0.01
  done
  ready=$(($(now_ms) - start))
  kill -TERM "$gateway_pid"
  local code=0
  wait "$gateway_pid" || code=$?
  gateway_pid=
  ((code == 0)) || { echo "smoke-binary: exit code $code after SIGTERM" >&2; cat "$work/gateway-$port.log" >&2; return 1; }
  echo "$ready"
}

first=$(start_once)
echo "start to /health 200, first start (extracts the addon): $first ms"
warm=()
for _ in 1 2 3 4 5; do warm+=("$(start_once)"); done
echo "start to /health 200, warm: $(printf '%s\n' "${warm[@]}" | median) ms (median of 5)"
echo "smoke-binary: ok"
