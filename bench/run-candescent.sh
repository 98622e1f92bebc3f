#!/usr/bin/env bash
# Candescent client_credentials benchmark (issue 6): the Candescent V2 token endpoint
# against the bare baseline (bench/baseline), with jeton's standard endpoint measured in
# the same run for the cost of the dialect layer alone. The three targets are driven
# alternately (baseline, standard, candescent, baseline, ...) with the same wrk settings
# (each round starting one target later) and the median of each is reported. Like bench/run.sh it is a report, not a gate: it
# exits 0 whether the target passes or fails, non-zero only when something broke.
#
# Environment overrides:
#   CONNS=16  THREADS=1  DURATION=20s  ROUNDS=3  WARMUP=5s
#   ALIAS=1   send the institution's numeric alias in institutionId instead of its id
#   KEEP=1    keep the temp dir (logs, wrk output)
set -euo pipefail

ALIAS=${ALIAS:-}
MIN_RATIO=0.6

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_settings
bench_tmp jeton-bench-candescent

for cmd in wrk curl python3; do
	command -v "$cmd" >/dev/null || die "$cmd is required (Debian: apt-get install $cmd)"
done
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

echo "building the baseline and jeton ..."
go build -o "$tmp/baseline" ./bench/baseline || die "baseline does not build"
go build -o "$tmp/jeton" ./cmd/jeton || die "jeton does not build"

jport=$(free_port)
aport=$(free_port)
mkdir -p "$tmp/data"
"$tmp/jeton" serve --addr "127.0.0.1:$jport" --admin-addr "127.0.0.1:$aport" --data-dir "$tmp/data" \
	--log-level warn >"$tmp/jeton.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$jport/readyz" "${pids[-1]}" || die "jeton did not become ready: $(tail -n 20 "$tmp/jeton.log")"

j() { "$tmp/jeton" "$@" --data-dir "$tmp/data" -o json; }
j institution create --name Bench >"$tmp/inst.json" || die "institution create failed"
inst=$(field "$tmp/inst.json" id)
j institution update "$inst" --alias 01234 >/dev/null || die "institution update failed"
j client create --institution "$inst" --name bench --grant client_credentials \
	--auth-method client_secret_basic --scope accounts:read >"$tmp/client.json" || die "client create failed"
client_id=$(field "$tmp/client.json" client_id)
client_secret=$(field "$tmp/client.json" client_secret)
fi_header=$inst
[[ -n $ALIAS ]] && fi_header=01234
basic=$(python3 -c 'import base64, sys, urllib.parse as u; print(base64.b64encode((u.quote_plus(sys.argv[1]) + ":" + u.quote_plus(sys.argv[2])).encode()).decode())' "$client_id" "$client_secret")

bport=$(free_port)
"$tmp/baseline" -addr "127.0.0.1:$bport" -client-id "$client_id" -client-secret "$client_secret" >"$tmp/baseline.log" 2>&1 &
pids+=($!)
wait_port "$bport" "${pids[-1]}" || die "baseline did not start: $(cat "$tmp/baseline.log")"

targets=(baseline standard candescent)
declare -A url script
url[baseline]="http://127.0.0.1:$bport/oauth2/token" script[baseline]=token.lua
url[standard]="http://127.0.0.1:$jport/oauth2/token" script[standard]=token.lua
url[candescent]="http://127.0.0.1:$jport/candescent/oauth2/v1/token" script[candescent]=candescent.lua

code=$(curl -sS -o "$tmp/check.json" -w '%{http_code}' -u "$client_id:$client_secret" -H "transactionId: 3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a3b" \
	-H "institutionId: $fi_header" -d grant_type=client_credentials -d scope=accounts:read "${url[candescent]}")
[[ $code == 200 ]] || die "candescent check answered $code: $(cat "$tmp/check.json")"
echo "check: $(cat "$tmp/check.json" | head -c 60)..."

run_wrk() { # NAME DURATION OUT
	BENCH_BASIC=$basic BENCH_FI=$fi_header BENCH_PATH=$(python3 -c 'import sys,urllib.parse as u; print(u.urlparse(sys.argv[1]).path)' "${url[$1]}") \
		wrk --latency -c "$CONNS" -t "$THREADS" -d "$2" -s "$root/bench/${script[$1]}" "${url[$1]}" >"$3" 2>&1 ||
		die "$1: wrk failed: $(cat "$3")"
}
echo "warming up ($WARMUP each, discarded) ..."
for t in "${targets[@]}"; do run_wrk "$t" "$WARMUP" "$tmp/warmup-$t.txt"; done

echo "measuring: wrk --latency -c $CONNS -t $THREADS -d $DURATION, $ROUNDS round(s), alternating ${targets[*]}"
broken=0
for ((r = 1; r <= ROUNDS; r++)); do
	# Each round starts one target later, so no target always runs in the same slot.
	order=("${targets[@]:$(((r - 1) % 3))}" "${targets[@]:0:$(((r - 1) % 3))}")
	for t in "${order[@]}"; do
		out="$tmp/wrk-$t-$r.txt"
		run_wrk "$t" "$DURATION" "$out"
		read -r rps p50 p99 bad < <(parse_wrk "$out")
		printf '  round %d  %-10s %10s req/s  p50 %7.2f ms  p99 %7.2f ms%s\n' "$r" "$t" "$rps" "$p50" "$p99" \
			"$([[ $bad -gt 0 ]] && echo "  ($bad failed requests)")"
		echo "$rps $p50 $p99" >>"$tmp/results-$t.txt"
		[[ $bad -gt 0 ]] && broken=1
	done
done

declare -A m_rps m_p50 m_p99
echo
echo "client_credentials, $CONNS connections, $THREADS wrk threads, $DURATION x $ROUNDS rounds (median per column)"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Go $(go env GOVERSION)"
printf '%-10s | %10s | %9s | %9s\n' target "req/s" "p50 ms" "p99 ms"
for t in "${targets[@]}"; do
	m_rps[$t]=$(awk '{print $1}' "$tmp/results-$t.txt" | median)
	m_p50[$t]=$(awk '{print $2}' "$tmp/results-$t.txt" | median)
	m_p99[$t]=$(awk '{print $3}' "$tmp/results-$t.txt" | median)
	printf '%-10s | %10.0f | %9.2f | %9.2f\n' "$t" "${m_rps[$t]}" "${m_p50[$t]}" "${m_p99[$t]}"
done
ratio=$(awk -v j="${m_rps[candescent]}" -v b="${m_rps[baseline]}" 'BEGIN {printf "%.3f", j / b}')
layer=$(awk -v j="${m_rps[candescent]}" -v s="${m_rps[standard]}" 'BEGIN {printf "%.2f", j / s}')
echo
echo "candescent/baseline: $ratio   candescent/standard (the dialect layer's cost): $layer"
# The verdict compares the unrounded ratio.
if awk -v j="${m_rps[candescent]}" -v b="${m_rps[baseline]}" -v m="$MIN_RATIO" 'BEGIN {exit !(j / b >= m)}'; then v=PASS; else v=FAIL; fi
echo "target: $v  candescent throughput >= $MIN_RATIO x baseline ($ratio)"
[[ $broken == 1 ]] && { KEEP=1; die "some requests failed; the figures above are not valid"; }
exit 0
