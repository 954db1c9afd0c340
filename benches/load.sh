#!/usr/bin/env bash
# The service under many lanes, for docs/PERFORMANCE.md: one instance on SQLite, one on
# PostgreSQL, two on PostgreSQL, at 50, 200 and 500 lanes, each point on fresh service
# processes and a fresh database. Prints one markdown row a point: verifications/s, p50,
# p99, errors, false replays, peak service RSS, and CPU seconds per 1,000 rounds for the
# services, for PostgreSQL's server processes and for the load generator (they all share
# this machine's cores). A round is one lane's traveller: mint, verify, decide.
#
#   eval "$(bash .ci/postgres.sh start)"     # a PostgreSQL server for the PostgreSQL rows
#   bash benches/load.sh [SECONDS] [LANES...]    # default 20 s, 50 200 500 lanes
#   THINK_MS=1000 bash benches/load.sh 30 500     # each lane pauses 1 s between travellers
#
# The load generator is `lanedesk issuer load`, flat out unless THINK_MS is set.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-20}
shift || true
lanes_list=("${@:-50 200 500}")
read -r -a lanes_list <<<"${lanes_list[*]}"
: "${LANEDESK_TEST_POSTGRES:?start PostgreSQL first: eval \"\$(bash .ci/postgres.sh start)\"}"

cargo build --release --quiet
bin=$PWD/target/release/lanedesk
token=load-token
work=$(mktemp -d /tmp/lanedesk-load.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
tick=$(getconf CLK_TCK)

# cpu PID: user+system CPU seconds so far.
cpu() { awk -v t="$tick" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
# CPU seconds of every PostgreSQL server process so far (backends live as long as the
# services' pooled connections, which outlive each measurement).
pg_cpu() {
  local t=0 p
  for p in $(pgrep -x postgres); do
    t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "scale=2; $t / $tick" | bc
}
# peak resident set, MiB.
rss() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# start DB NAME: starts a service, sets $started_pid and $started_url.
start() {
  local log="$work/$2.log"
  : >"$log"
  LANEDESK_LOG=warn "$bin" issuer serve --demo --listen 127.0.0.1:0 --lane-token "$token" \
    --db "$1" --fixtures fixtures 2>"$log" &
  started_pid=$!
  pids+=("$started_pid")
  for _ in $(seq 100); do
    started_url=$(sed -n 's/.*serving API v1 at \([^ ]*\).*/\1/p' "$log")
    [ -n "$started_url" ] && return
    sleep 0.1
  done
  cat "$log" >&2
  exit 1
}

pg_db() {
  local name=$1
  PGOPTIONS='-c client_min_messages=warning' psql -q "$LANEDESK_TEST_POSTGRES" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
  psql -q "$LANEDESK_TEST_POSTGRES" -c "CREATE DATABASE $name" >/dev/null
  echo "${LANEDESK_TEST_POSTGRES%/*}/$name"
}

echo "| setup | lanes | verifications/s | p50 ms | p99 ms | errors | false replays | service RSS MiB | CPU s / 1k rounds: service | PostgreSQL | load generator |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for setup in "1 SQLite" "1 PostgreSQL" "2 PostgreSQL"; do
  for lanes in "${lanes_list[@]}"; do
    n=${setup%% *}
    urls=()
    service_pids=()
    point="p$RANDOM"
    if [ "${setup#* }" = SQLite ]; then
      start "$work/$point.sqlite" "$point-1"
      urls+=("$started_url"); service_pids+=("$started_pid")
    else
      db=$(pg_db "lanedesk_load_$point")
      for i in $(seq "$n"); do
        start "$db" "$point-$i"
        urls+=("$started_url"); service_pids+=("$started_pid")
      done
    fi
    before=0
    for p in "${service_pids[@]}"; do before=$(echo "$before + $(cpu "$p")" | bc); done
    pg_before=$(pg_cpu)
    joined=$(IFS=,; echo "${urls[*]}")
    out="$work/$point.json"
    /usr/bin/time -f "%U %S" -o "$work/$point.time" \
      "$bin" issuer load --service "$joined" --lane-token "$token" --lanes "$lanes" \
      --seconds "$secs" --think-ms "${THINK_MS:-0}" >"$out" || true
    pg_after=$(pg_cpu)
    after=0
    peak=0
    for p in "${service_pids[@]}"; do
      after=$(echo "$after + $(cpu "$p")" | bc)
      peak=$((peak + $(rss "$p")))
    done
    for p in "${service_pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
    python3 - "$out" "$work/$point.time" "$setup" "$lanes" "$before" "$after" "$peak" "$pg_before" "$pg_after" <<'EOF'
import json, sys
out, timef, setup, lanes, before, after, peak, pg_before, pg_after = sys.argv[1:]
r = json.load(open(out))
u, s = map(float, open(timef).read().split()[-2:])
k = max(r["verifications"], 1) / 1000
print(f"| {setup} | {lanes} | {r['per_second']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
      f"{r['errors']} | {r['false_replays']} | {peak} | {(float(after) - float(before)) / k:.2f} | "
      f"{(float(pg_after) - float(pg_before)) / k:.2f} | {(u + s) / k:.2f} |")
if r["error_samples"]:
    print("<!-- errors: " + "; ".join(r["error_samples"]) + " -->")
EOF
    [ "${setup#* }" = SQLite ] || PGOPTIONS='-c client_min_messages=warning' psql -q "$LANEDESK_TEST_POSTGRES" -c "DROP DATABASE IF EXISTS lanedesk_load_$point WITH (FORCE)" >/dev/null
  done
done
