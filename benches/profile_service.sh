#!/usr/bin/env bash
# Where one verification's time goes in the service, counted in instructions by
# valgrind's callgrind (repeatable whatever else the machine is doing).
#
#   bash benches/profile_service.sh [N]       # default N = 2000
#
# Two runs of the release binary under callgrind, SQLite file, same inputs: one where a
# client only mints N codes, one where it mints N codes and then verifies them from
# 8 lanes (each its own keep-alive connection). The difference is N verifications;
# prints instructions per verification in all and for the parts that matter. Then the
# same verify run without valgrind, reading the service's CPU time before and after the
# verifications: CPU milliseconds per verification, whatever the client's speed.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
cargo build --release --quiet
bin=$PWD/target/release/lanedesk
work=$(mktemp -d /tmp/lanedesk-profile.XXXXXX)
trap 'rm -rf "$work"' EXIT

run() { # MODE [native] -> callgrind output file, or CPU ms per verification
  local mode=$1 native=${2:-} port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  if [ -n "$native" ]; then
    LANEDESK_LOG=warn "$bin" issuer serve --db "$work/native.sqlite" --listen "127.0.0.1:$port" \
      --demo --lane-token t --fixtures fixtures 2>"$work/$mode.log" &
  else
    LANEDESK_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$work/$mode.out" \
      "$bin" issuer serve --db "$work/$mode.sqlite" --listen "127.0.0.1:$port" \
      --demo --lane-token t --fixtures fixtures 2>"$work/$mode.log" &
  fi
  local pid=$!
  for _ in $(seq 600); do grep -qs "serving API" "$work/$mode.log" && break; sleep 0.2; done
  python3 - "$port" "$n" "$mode" "$pid" <<'EOF'
import http.client, json, os, sys, threading
port, n, mode, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def cpu():
    if os.path.exists(f"/proc/{pid}/task"):
        # valgrind or not, the service is this pid
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0
def conn():
    return http.client.HTTPConnection("127.0.0.1", port, timeout=120)
c = conn()
c.request("GET", "/v1/cards")
cards = [x["card"] for x in json.loads(c.getresponse().read())]
codes = []
for i in range(n):
    c.request("POST", f"/v1/cards/{cards[i % len(cards)]}/tokens")
    codes.append(json.loads(c.getresponse().read())["qr"])
if mode in ("verify", "native"):
    def lane(k):
        h = conn()
        for code in codes[k::8]:
            body = json.dumps({"token": code, "checkpoint": "lo-wu", "lane": str(k),
                               "direction": "entry", "officer": "p"})
            h.request("POST", "/v1/verifications", body,
                      {"Authorization": "Bearer t", "Content-Type": "application/json"})
            r = h.getresponse(); r.read()
            assert r.status == 200, r.status
    before = cpu()
    ts = [threading.Thread(target=lane, args=(k,)) for k in range(8)]
    [t.start() for t in ts]; [t.join() for t in ts]
    if mode == "native":
        print(f"service CPU per verification, native: {1000 * (cpu() - before) / n:.3f} ms")
EOF
  kill -TERM "$pid"
  wait "$pid" || true
}

run mint
run verify
run native native
python3 - "$work/mint.out" "$work/verify.out" "$n" <<'EOF'
import re, subprocess, sys
mint, verify, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def inclusive(path):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                         capture_output=True, text=True).stdout
    costs = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
        if m:
            name = m.group(2)
            costs[name] = max(costs.get(name, 0), int(m.group(1).replace(",", "")))
    total = next(v for k, v in costs.items() if "PROGRAM TOTALS" in k)
    return total, costs
def part(costs, *needles):
    return max([v for k, v in costs.items() if all(x in k for x in needles)] or [0])
tm, cm = inclusive(mint)
tv, cv = inclusive(verify)
per = (tv - tm) / n
print(f"instructions per verification, whole service process: {per:,.0f}")
rows = [
    ("credential::verify (parse, Ed25519 verify_strict, checks)", ("lanedesk::domain::credential::verify [",)),
    ("  of which Ed25519 verify_strict", ("VerifyingKey::verify_strict [",)),
    ("response JSON (serde_json, Verification)", ("Json<T> as axum_core::response::into_response::IntoResponse>::into_response [",)),
    ("request JSON (serde_json, VerificationRequest)", ("serde_json::de::Deserializer<R> as serde_core::de::Deserializer>::deserialize_struct [",)),
    ("SQLite: every statement run, commits included (sqlite3_step)", ("sqlite3_step [",)),
    ("  card status and trips read at each verification", ("issuer::store::sqlite::card_state [",)),
    ("metrics (per-request counters, histogram)", ("issuer::metrics::Metrics::request [",)),
    ("hyper HTTP/1 parse and encode", ("hyper::proto::h1::role::Server as hyper::proto::h1::Http1Transaction>::parse [",)),
    ("malloc + free", ("malloc.c:malloc [",), ("malloc.c:free [",)),
]
for label, *needles in rows:
    v = sum(part(cv, *nd) - part(cm, *nd) for nd in needles) / n
    print(f"{label:60} {v:>10,.0f}  {100 * v / per:5.1f}%")
EOF
