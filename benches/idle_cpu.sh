#!/usr/bin/env bash
# CPU used by each of lanedesk's threads over a quiet period, with the demo running in a
# detached tmux session and nobody at the keyboard.
#
#   bash benches/idle_cpu.sh [SECONDS]     (default 20; needs tmux and a release build)
#   WARMUP=3 bash benches/idle_cpu.sh      (seconds before measuring; default 15)
#
# The console thread ("lanedesk", the event loop and drawing) and the tokio workers
# (service calls) should be near zero: they wake for the clock once a second and for each
# preview frame. The capture and scanner threads film and decode the simulated camera; the
# scanner stops decoding a repeated frame once every rung of its ladder has failed on it,
# which takes the first ten seconds or so (hence the warm-up).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
bin=target/release/lanedesk
[ -x "$bin" ] || cargo build --release
session=lanedesk-idle-$$
tmux new-session -d -s "$session" -x 160 -y 45 "$bin demo --log /tmp/$session.log"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
sleep "${WARMUP:-15}"
pid=$(pgrep -n -f "$bin demo --log /tmp/$session.log")
hz=$(getconf CLK_TCK)
snapshot() {
  for t in /proc/"$pid"/task/*; do
    name=$(cat "$t/comm")
    # utime and stime are fields 14 and 15 of stat; comm (field 2) has no spaces here.
    read -r -a f < "$t/stat"
    echo "$name $(( f[13] + f[14] ))"
  done | awk '{a[$1]+=$2} END {for (k in a) print k, a[k]}' | sort
}
before=$(snapshot)
sleep "$secs"
after=$(snapshot)
echo "lanedesk demo, idle for ${secs}s, CPU per thread group (% of one core):"
join <(echo "$before") <(echo "$after") | awk -v hz="$hz" -v s="$secs" '{printf "  %-18s %6.2f%%\n", $1, ($3-$2)*100/hz/s}'
