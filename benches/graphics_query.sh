#!/usr/bin/env bash
# What asking the terminal how it draws pictures costs at start-up, from the console's own
# log line ("portrait graphics ... ms=..."):
#   - in tmux, which answers the device-attributes and status queries;
#   - in a pseudo-terminal nobody answers (script(1) writing to a pipe): the bounded wait.
# Usage: bash benches/graphics_query.sh [ROUNDS]   (needs tmux; builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-10}
cargo build --release -q
bin=$PWD/target/release/lanedesk
tmp=$(mktemp -d); trap 'tmux kill-session -t gq 2>/dev/null || true; rm -rf "$tmp"' EXIT
ms() { grep -o 'portrait graphics.*ms=[0-9.]*' "$1" | grep -o 'ms=[0-9.]*' | cut -d= -f2; }
summary() { sort -n | awk '{ v[NR] = $1 } END { printf "median %.1f ms, max %.1f ms (%d runs)\n", v[int((NR + 1) / 2)], v[NR], NR }'; }
: > "$tmp/answered"
for i in $(seq "$rounds"); do
  log=$tmp/tmux-$i.log
  tmux new-session -d -s gq -x 160 -y 45 "$bin demo --log $log"
  for _ in $(seq 50); do [ -s "$log" ] && grep -q 'portrait graphics' "$log" && break; sleep 0.1; done
  tmux kill-session -t gq
  ms "$log" >> "$tmp/answered"
done
echo "tmux (answers):        $(summary < "$tmp/answered")"
: > "$tmp/silent"
for i in $(seq "$rounds"); do
  log=$tmp/silent-$i.log
  (sleep 3; printf q) | script -q -c "$bin demo --log $log" /dev/null > /dev/null 2>&1 || true
  ms "$log" >> "$tmp/silent"
done
echo "no answer (script):    $(summary < "$tmp/silent")"
