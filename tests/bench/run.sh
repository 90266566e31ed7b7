#!/bin/sh
# make bench: prints figures side by side with what a user could do instead.
# Asserts nothing.  Environment: BPFALERT_BIN, BUILD, BENCH_EVENTS (100000),
# JQ_EVENTS (10000), RSS_EVENTS (1000000).
set -eu
B=${BUILD:-build}/bench
BIN=${BPFALERT_BIN:-build/bpfalert}
N=${BENCH_EVENTS:-100000}
JQN=${JQ_EVENTS:-10000}
RSSN=${RSS_EVENTS:-1000000}
HERE=$(dirname "$0")
mkdir -p "$B"

echo "== inputs"
[ -s "$B/events.jsonl" ] && [ "$(wc -l < "$B/events.jsonl")" -eq "$N" ] || \
	python3 "$HERE/gen.py" events "$N" "$B/events.jsonl"
python3 "$HERE/gen.py" rules 66 "$B/r66.rules" "$B/r66.jq"
python3 "$HERE/gen.py" rules 100 "$B/r100.rules" "$B/r100.jq"
python3 "$HERE/gen.py" rules 1000 "$B/r1000.rules" "$B/r1000.jq"
cp tests/data/seed/tetrademo.json "$B/seed.json"
head -n "$JQN" "$B/events.jsonl" > "$B/events-jq.jsonl"
cat > "$B/seed.jq" <<'JQ'
{line: input_line_number, alerts: [
  (if ((.process_exec.process.arguments // "") | contains("/etc/passwd")) then "Unauthorised access /etc/passwd" else empty end),
  (if ((.process_exec.process.arguments // "") | contains("/etc/shadow")) then "Unauthorised access /etc/shadow" else empty end),
  (if ((.process_exec.process.arguments // "") | contains("/etc/group")) then "Unauthorised access /etc/group" else empty end),
  (if ((.process_exec.process.arguments // "") | contains("/etc/gshadow")) then "Unauthorised access /etc/gshadow" else empty end)]}
JQ
echo "events: $N lines, $(du -h "$B/events.jsonl" | cut -f1); jq reads the first $JQN of them"

rate() { # label events seconds
	awk -v l="$1" -v n="$2" -v s="$3" 'BEGIN { printf "%-38s %9.0f events/s %9.0f ns/event\n", l, n / s, s * 1e9 / n }'
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2"; }
cpu() { awk -v u="$(field user_s "$1")" -v s="$(field sys_s "$1")" 'BEGIN { print u + s }'; }
timed() { # name command...: runs it under rusage; prints its CPU seconds
	n=$1; shift
	"$B/rusage" "$B/$n.rusage" "$@" > /dev/null
	cpu "$B/$n.rusage"
}

echo "== throughput, one core (events per second of CPU time, user + sys: the machine is shared)"
FLOOR=$(timed floor "$B/parse_floor" "$B/events.jsonl")
rate "json-c parse only (the floor)" "$N" "$FLOOR"
R66=$(timed r66 "$BIN" replay --matches -r "$B/r66.rules" -i "$B/events.jsonl")
rate "bpfalert replay, 66 rules" "$N" "$R66"
R100=$(timed r100 "$BIN" replay --matches -r "$B/r100.rules" -i "$B/events.jsonl")
rate "bpfalert replay, 100 rules" "$N" "$R100"
SEED=$(timed seed "$BIN" replay --matches -r "$B/seed.json" -i "$B/events.jsonl")
rate "bpfalert replay, the seed's 4 rules" "$N" "$SEED"
JQSEED=$(timed jqseed jq -c -f "$B/seed.jq" "$B/events-jq.jsonl")
rate "jq -c, the seed's 4 conditions" "$JQN" "$JQSEED"
JQ100=$(timed jq100 jq -c -f "$B/r100.jq" "$B/events-jq.jsonl")
rate "jq -c, the same 100 conditions" "$JQN" "$JQ100"

awk -v f="$FLOOR" -v r66="$R66" -v r="$R100" -v s="$SEED" -v n="$N" -v jn="$JQN" -v js="$JQSEED" -v j="$JQ100" 'BEGIN {
	printf "66 rules vs the json-c floor:        %5.2fx the floor rate (goal >= 2x)\n", f / r66
	printf "100 rules vs the json-c floor:       %5.2fx the floor rate\n", f / r
	printf "seed 4 rules vs jq:                  %5.1fx jq (goal >= 5x)\n", (n / s) / (jn / js)
	printf "100 rules vs jq:                     %5.1fx jq\n", (n / r) / (jn / j)
}'
echo "peak RSS, 100 rules over $N events: $(field maxrss_kb "$B/r100.rusage") KiB"

echo "== flattening: the on-demand reader against json-c"
"$B/flatten_bench" tests/data/tetragon/events.jsonl || true

echo "== rule evaluation alone (events flattened beforehand)"
"$B/eval_bench" "$B/r100.rules" "$B/events.jsonl" 20000
"$B/eval_bench" "$B/seed.json" "$B/events.jsonl" 20000

echo "== memory: $RSSN events, 1000 rules"
REPS=$(( (RSSN + N - 1) / N ))
i=0; : > "$B/list"
while [ $i -lt $REPS ]; do echo "$B/events.jsonl" >> "$B/list"; i=$((i + 1)); done
xargs cat < "$B/list" | "$B/rusage" "$B/r1000.rusage" "$BIN" replay --matches -r "$B/r1000.rules" -i - > /dev/null
echo "$(( REPS * N )) events, 1000 rules: $(cat "$B/r1000.rusage") (target maxrss <= 20480 KiB)"

echo "== kernel probe events through the rule engine, with and without JSON"
"$B/probe_engine_bench" "$B/r100.rules"

echo "== daemon: following a file (bpfalert run)"
"$B/daemon_bench" "$BIN" "$B/r100.rules" "$B/events.jsonl"

echo "== exports: every event to a Parseable receiver answering in 10 ms; alert latency without and with"
"$B/daemon_bench" "$BIN" "$B/r100.rules" "$B/events.jsonl" export

echo "== kernel probes: overhead on unwatched files, open-to-event latency"
"$B/probe_bench" || echo "probe_bench needs root and BPF"
echo "== kernel probes: kernel time per program (kernel.bpf_stats_enabled) against empty programs"
"$B/probe_cost" || echo "probe_cost needs root and BPF"

echo "== alert manager: cost per match"
"$B/alertmgr_bench"

echo "== dispatcher: notifications/s to a local receiver"
"$B/dispatch_bench"
"$B/dispatch_bench" -d /dev/shm
true
