#!/usr/bin/env bash
# Flood benchmark (issue 14, "Speed"): while one address floods the token endpoint with
# wrong secrets at full speed (wrk, FLOOD_CONNS connections), another client's
# client_credentials p99 must stay < 50 ms and its throughput >= 0.5x of the same
# measurement without the flood. See docs/benchmarks.md and docs/rate-limits.md.
#
# All of wrk comes from 127.0.0.1, so jeton runs with --trusted-proxies 127.0.0.1/32 and
# each wrk claims its own address in X-Forwarded-For (bench/token.lua, BENCH_XFF): the
# flood is 203.0.113.66, the probe client 198.51.100.20. The rate limits are the
# defaults. Rounds alternate: probe alone, then probe during the flood.
#
# It is a report, not a gate: it exits 0 whether the targets pass or fail, non-zero
# only when something broke.
#
# Environment overrides:
#   PROBE_CONNS=16 FLOOD_CONNS=32 THREADS=1 DURATION=15s ROUNDS=3 WARMUP=3s
#   JETON_ARGS="..." extra serve flags      KEEP=1 keep the temp dir
set -euo pipefail

PROBE_CONNS=${PROBE_CONNS:-16}
FLOOD_CONNS=${FLOOD_CONNS:-32}
THREADS=${THREADS:-1}
DURATION=${DURATION:-15s}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3s}
KEEP=${KEEP:-}
for v in DURATION WARMUP; do
	[[ ${!v} =~ ^[0-9]+$ ]] && printf -v "$v" '%ss' "${!v}"
	[[ ${!v} =~ ^[0-9]+s$ ]] || { echo "bench: $v must be whole seconds (e.g. 15s), got ${!v}" >&2; exit 1; }
done
MAX_P99_MS=50
MIN_RATIO=0.5
PROBE_XFF=198.51.100.20
FLOOD_XFF=203.0.113.66

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_tmp jeton-flood
command -v wrk >/dev/null || die "wrk not found (Debian/Ubuntu: apt-get install wrk)"
command -v python3 >/dev/null || die "python3 is required"

json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
basic_of() { python3 -c 'import base64, sys, urllib.parse as u; print(base64.b64encode((u.quote_plus(sys.argv[1]) + ":" + u.quote_plus(sys.argv[2])).encode()).decode())' "$1" "$2"; }

echo "building jeton ..."
go build -o "$tmp/jeton" ./cmd/jeton || die "jeton does not build"
jport=$(free_port)
aport=$(free_port)
mkdir -p "$tmp/data"
read -ra jeton_args <<<"${JETON_ARGS:-}"
"$tmp/jeton" serve --addr "127.0.0.1:$jport" --admin-addr "127.0.0.1:$aport" --data-dir "$tmp/data" \
	--log-level warn --trusted-proxies 127.0.0.1/32 "${jeton_args[@]}" >"$tmp/jeton.log" 2>&1 &
jpid=$!
pids+=("$jpid")
wait_http "http://127.0.0.1:$jport/readyz" "$jpid" || die "jeton did not become ready: $(tail -n 20 "$tmp/jeton.log")"
"$tmp/jeton" institution create --data-dir "$tmp/data" --name Bench -o json >"$tmp/inst.json" || die "institution create failed"
inst_id=$(json_field "$tmp/inst.json" id)
for who in probe victim; do
	"$tmp/jeton" client create --data-dir "$tmp/data" --institution "$inst_id" --name "$who" \
		--grant client_credentials --auth-method client_secret_basic --scope accounts:read \
		-o json >"$tmp/$who.json" || die "client create failed"
done
probe_basic=$(basic_of "$(json_field "$tmp/probe.json" client_id)" "$(json_field "$tmp/probe.json" client_secret)")
flood_basic=$(basic_of "$(json_field "$tmp/victim.json" client_id)" "wrong-secret")
url="http://127.0.0.1:$jport/oauth2/token"

# probe DURATION OUT / flood DURATION OUT
probe() {
	BENCH_BASIC=$probe_basic BENCH_XFF=$PROBE_XFF wrk --latency -c "$PROBE_CONNS" -t "$THREADS" -d "$1" \
		-s "$root/bench/token.lua" "$url" >"$2" 2>&1 || die "probe wrk failed: $(cat "$2")"
}
flood() {
	BENCH_BASIC=$flood_basic BENCH_XFF=$FLOOD_XFF wrk --latency -c "$FLOOD_CONNS" -t "$THREADS" -d "$1" \
		-s "$root/bench/token.lua" "$url" >"$2" 2>&1 || die "flood wrk failed: $(cat "$2")"
}

code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Basic $flood_basic" -H "X-Forwarded-For: $FLOOD_XFF" \
	-d grant_type=client_credentials "$url")
[[ $code == 401 ]] || die "a wrong secret answered $code, want 401"
echo "warming up ($WARMUP) ..."
probe "$WARMUP" "$tmp/warmup.txt"

echo "measuring: probe wrk -c $PROBE_CONNS (as $PROBE_XFF), flood wrk -c $FLOOD_CONNS wrong secrets (as $FLOOD_XFF), $DURATION x $ROUNDS"
for ((r = 1; r <= ROUNDS; r++)); do
	probe "$DURATION" "$tmp/alone-$r.txt"
	read -r rps p50 p99 bad < <(parse_wrk "$tmp/alone-$r.txt")
	[[ $bad == 0 ]] || die "the probe alone had $bad failed requests"
	printf '  round %d  alone        %10s req/s  p50 %7.2f ms  p99 %7.2f ms\n' "$r" "$rps" "$p50" "$p99"
	echo "$rps $p50 $p99" >>"$tmp/alone.txt"

	flood "$DURATION" "$tmp/flood-$r.txt" &
	fpid=$!
	sleep 1 # the flood is at full speed before the probe starts
	probe "$DURATION" "$tmp/during-$r.txt"
	wait "$fpid" || die "the flood failed"
	read -r rps p50 p99 bad < <(parse_wrk "$tmp/during-$r.txt")
	[[ $bad == 0 ]] || die "the probe had $bad failed requests during the flood"
	read -r frps _ _ fbad < <(parse_wrk "$tmp/flood-$r.txt")
	ftotal=$(awk '/requests in/ {print $1}' "$tmp/flood-$r.txt")
	printf '  round %d  during flood %10s req/s  p50 %7.2f ms  p99 %7.2f ms   flood: %s req/s, %s of %s answers not 200\n' \
		"$r" "$rps" "$p50" "$p99" "$frps" "$fbad" "$ftotal"
	echo "$rps $p50 $p99" >>"$tmp/during.txt"
	echo "$frps $fbad $ftotal" >>"$tmp/flood.txt"
done

a_rps=$(awk '{print $1}' "$tmp/alone.txt" | median)
a_p99=$(awk '{print $3}' "$tmp/alone.txt" | median)
d_rps=$(awk '{print $1}' "$tmp/during.txt" | median)
d_p50=$(awk '{print $2}' "$tmp/during.txt" | median)
d_p99=$(awk '{print $3}' "$tmp/during.txt" | median)
f_rps=$(awk '{print $1}' "$tmp/flood.txt" | median)
ratio=$(awk -v d="$d_rps" -v a="$a_rps" 'BEGIN {printf "%.3f", d / a}')
ok_ratio=$(awk -v d="$d_rps" -v a="$a_rps" -v m="$MIN_RATIO" 'BEGIN {print (d / a >= m) ? "PASS" : "FAIL"}')
ok_p99=$(awk -v p="$d_p99" -v m="$MAX_P99_MS" 'BEGIN {print (p < m) ? "PASS" : "FAIL"}')
echo
echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Go $(go env GOVERSION) (medians)"
printf '  probe alone:        %10.0f req/s  p99 %.2f ms\n' "$a_rps" "$a_p99"
printf '  probe during flood: %10.0f req/s  p50 %.2f ms  p99 %.2f ms\n' "$d_rps" "$d_p50" "$d_p99"
printf '  flood:              %10.0f answers/s (429 after the failed-authentication budget)\n' "$f_rps"
echo "targets:"
printf '  %-4s probe p99 during the flood < %s ms (%.2f ms)\n' "$ok_p99" "$MAX_P99_MS" "$d_p99"
printf '  %-4s probe throughput during the flood >= %s x alone (%s)\n' "$ok_ratio" "$MIN_RATIO" "$ratio"
