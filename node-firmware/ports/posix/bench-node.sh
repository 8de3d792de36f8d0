#!/usr/bin/env bash
# make bench-node: tinyfleet-node's figures, each the median of RUNS runs.
#   bytes_per_node: RSS growth per node at 10,000 nodes, beyond each node's arena
#                   (goal: under 64 KiB), from tinyfleet-node --stats.
#   cpu_ms_per_1000_msgs: CPU time (user + system) the one loop spends per 1,000
#                   node messages sent (inference, outbox flash log, sealing, send,
#                   acks), 1,000 nodes at 10 inferences/s each, in steady state
#                   (from a second after the last node booted).
# Both runs talk to tests/tools/test_receiver on loopback. JSON: $B/bench/node.json.
set -u
cd "$(dirname "$0")/../../.."
B=${B:-build}
RUNS=${RUNS:-3}
NODES=${BENCH_NODES:-10000}
work=$(mktemp -d "${TMPDIR:-/tmp}/tf-bench-node.XXXXXX")
trap 'kill $rpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$B/bench"

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$B/tests/tools/test_receiver" --enroll-batch "$NODES" --out "$work/prov.txt" \
	--gateway "127.0.0.1:$port" --seed 9 || exit 1
"$B/tests/tools/test_receiver" --listen "$port" --provision "$work/prov.txt" \
	--record /dev/null --ready "$work/ready" &
rpid=$!
for _ in $(seq 100); do [ -e "$work/ready" ] && break; sleep 0.05; done

field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

mem=() cpu=()
for r in $(seq "$RUNS"); do
	"$B/tinyfleet-node" --provision "$work/prov.txt" --count "$NODES" --duration 6 --ramp 1000 \
		--period 1000 --health-period 60000 --seed "$r" --stats >"$work/mem$r.json" 2>"$work/mem$r.err" ||
		{ cat "$work/mem$r.err"; exit 1; }
	mem+=("$(field "$work/mem$r.json" rss_bytes_per_node_beyond_arena)")
	"$B/tinyfleet-node" --provision "$work/prov.txt" --count 1000 --duration 5 --ramp 200 \
		--period 100 --health-period 10000 --seed "$r" --stats >"$work/cpu$r.json" 2>"$work/cpu$r.err" ||
		{ cat "$work/cpu$r.err"; exit 1; }
	cpu+=("$(field "$work/cpu$r.json" steady_cpu_ms_per_1000_frames)")
done
bpn=$(printf '%s\n' "${mem[@]}" | median)
cpm=$(printf '%s\n' "${cpu[@]}" | median)
static=$(field "$work/mem1.json" static_bytes_per_node)
agent=$(field "$work/mem1.json" agent_bytes)
outbox=$(field "$work/mem1.json" outbox_bytes)
arena=$(field "$work/mem1.json" arena_bytes)
limit=65536
printf 'tinyfleet-node at %d nodes: %.0f bytes/node beyond the arena (limit %d, ratio %.2f); agent %s B (outbox %s B), arena %s B\n' \
	"$NODES" "$bpn" "$limit" "$(awk -v a="$bpn" -v b="$limit" 'BEGIN { print a / b }')" "$agent" "$outbox" "$arena"
printf 'tinyfleet-node CPU: %.2f ms per 1,000 messages (1,000 nodes at 10/s; median of %d runs)\n' "$cpm" "$RUNS"
cat >"$B/bench/node.json" <<JSON
{"nodes": $NODES, "bytes_per_node": $bpn, "bytes_per_node_limit": $limit,
 "bytes_per_node_ratio": $(awk -v a="$bpn" -v b="$limit" 'BEGIN { printf "%.3f", a / b }'),
 "static_bytes_per_node": $static, "agent_bytes": $agent, "outbox_bytes": $outbox, "arena_bytes": $arena,
 "cpu_ms_per_1000_msgs": $cpm, "runs": $RUNS}
JSON
echo "wrote $B/bench/node.json"
