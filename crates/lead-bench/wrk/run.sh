#!/usr/bin/env bash
# wrk against a real lead-server: orders with distinct bodies (lead.lua) and GET /healthz,
# alternating, on a fresh SQLite database (synchronous=full, rate limits off, access log off,
# one company with 2 employees). Needs wrk (Debian: apt-get install wrk); not part of CI.
#
#   crates/lead-bench/wrk/run.sh [ROUNDS] [SECONDS]
#
# LEAD_SERVER names the binary (default: target/release/lead-server, built if missing), so
# that two builds can be compared in one run: run the script once per binary, alternating.
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds="${1:-3}"
seconds="${2:-10}"
server="${LEAD_SERVER:-target/release/lead-server}"
if [ -z "${LEAD_SERVER:-}" ] && [ ! -x "$server" ]; then
    cargo build --release -p lead-server
fi

dir="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT

export LEAD_DATABASE_URL="sqlite://$dir/leads.db"
export LEAD_RATE_LIMIT_PER_IP=0 LEAD_RATE_LIMIT_PER_KEY=0 RUST_LOG=warn
company="$("$server" company add "wrk GmbH" | tail -n 1)"
"$server" employee add --company "$company" --name "Anna" --email anna@example.org >/dev/null
"$server" employee add --company "$company" --name "Bernd" --email bernd@example.org >/dev/null
LEAD_WRK_KEY="$("$server" key issue --company "$company" | tail -n 1)"
export LEAD_WRK_KEY

port=$((20000 + RANDOM % 20000))
"$server" serve --bind "127.0.0.1:$port" &
pid=$!
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.05
done

url="http://127.0.0.1:$port"
wrk -t1 -c64 -d2s -s crates/lead-bench/wrk/lead.lua "$url" >/dev/null # warm-up
for round in $(seq "$rounds"); do
    echo "== round $round: orders"
    wrk -t1 -c64 -d"${seconds}s" --latency -s crates/lead-bench/wrk/lead.lua "$url" |
        grep -E "Requests/sec|Non-2xx|Socket errors|^ +(50|90|99)%"
    echo "== round $round: GET /healthz"
    wrk -t1 -c64 -d"${seconds}s" --latency "$url/healthz" | grep -E "Requests/sec|^ +99%"
done
echo "== server peak resident memory: $(grep VmHWM "/proc/$pid/status" | tr -s ' ')"
