#!/usr/bin/env bash
# AbbeyCross benchmark (issue 7): jeton's AbbeyCross client_credentials endpoint, with a
# working-hours calendar on the client's institution (open all week, so every request
# pays for the check and none is refused) and no active-token cap, against the same
# minimal baseline as bench/run.sh (bench/baseline: form + Basic, no database).
#
# Like run.sh it starts both on free loopback ports, warms both up, drives them
# alternately with the same wrk settings and reports the medians. It is a report, not
# a gate: it exits 0 whether the target passes or fails, non-zero only when something
# broke.
#
# Environment overrides: CONNS=16 THREADS=1 DURATION=20s ROUNDS=3 WARMUP=5s KEEP=1
set -euo pipefail

MIN_RATIO=0.6 # issue 7: AbbeyCross client_credentials >= 0.6 x the baseline

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_settings
bench_tmp jeton-bench-ax

field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
command -v wrk >/dev/null || die "wrk is required (Debian: apt-get install wrk); bench/run.sh installs it"

echo "building the baseline and jeton ..."
go build -o "$tmp/baseline" ./bench/baseline || die "baseline does not build"
go build -o "$tmp/jeton" ./cmd/jeton || die "jeton does not build"

# ---- jeton: institution with a calendar, a client_secret_post client ---------------
jport=$(free_port)
aport=$(free_port)
mkdir -p "$tmp/data"
"$tmp/jeton" serve --addr "127.0.0.1:$jport" --admin-addr "127.0.0.1:$aport" \
	--data-dir "$tmp/data" --log-level warn >"$tmp/jeton.log" 2>&1 &
jpid=$!
pids+=("$jpid")
wait_http "http://127.0.0.1:$jport/readyz" "$jpid" || die "jeton did not become ready: $(tail -n 20 "$tmp/jeton.log")"
cli() { "$tmp/jeton" "$@" --data-dir "$tmp/data"; }
cli institution create --name Bench -o json >"$tmp/inst.json" || die "institution create failed"
inst=$(field "$tmp/inst.json" id)
cli institution hours set "$inst" --tz Europe/London --window "Mon-Sun 00:00-24:00" \
	--closed 2099-12-25 >"$tmp/hours.txt" || die "hours set failed"
cli client create --institution "$inst" --name bench --grant client_credentials \
	--auth-method client_secret_post --scope accounts:read -o json >"$tmp/client.json" || die "client create failed"
client_id=$(field "$tmp/client.json" client_id)
client_secret=$(field "$tmp/client.json" client_secret)
body=$(python3 -c 'import json,sys; print(json.dumps({"client_id": sys.argv[1], "client_secret": sys.argv[2]}, separators=(",", ":")))' "$client_id" "$client_secret")
jurl="http://127.0.0.1:$jport/abbeycross/v1/oauth/token"

# ---- the baseline with the same credentials -----------------------------------------
bport=$(free_port)
"$tmp/baseline" -addr "127.0.0.1:$bport" -client-id "$client_id" -client-secret "$client_secret" >"$tmp/baseline.log" 2>&1 &
bpid=$!
pids+=("$bpid")
wait_port "$bport" "$bpid" || die "baseline did not start: $(cat "$tmp/baseline.log")"
burl="http://127.0.0.1:$bport/oauth2/token"
basic=$(python3 -c 'import base64, sys, urllib.parse as u; print(base64.b64encode((u.quote_plus(sys.argv[1]) + ":" + u.quote_plus(sys.argv[2])).encode()).decode())' "$client_id" "$client_secret")

# ---- one answer each ------------------------------------------------------------------
code=$(curl -sS -o "$tmp/check-jeton.json" -w '%{http_code}' -H 'Content-Type: application/json' -d "$body" "$jurl")
[[ $code == 200 ]] || die "jeton answered $code: $(head -c 300 "$tmp/check-jeton.json")"
code=$(curl -sS -o "$tmp/check-baseline.json" -w '%{http_code}' -u "$client_id:$client_secret" -d grant_type=client_credentials -d scope=accounts:read "$burl")
[[ $code == 200 ]] || die "baseline answered $code"
echo "checked one token from each; calendar: $(grep next_opening "$tmp/hours.txt" | tr -s ' ')"

run() { # run NAME DURATION OUTFILE
	if [[ $1 == jeton ]]; then
		BENCH_BODY=$body BENCH_PATH=/abbeycross/v1/oauth/token wrk --latency -c "$CONNS" -t "$THREADS" -d "$2" \
			-s "$root/bench/abbeycross.lua" "http://127.0.0.1:$jport" >"$3" 2>&1 || die "wrk failed: $(cat "$3")"
	else
		BENCH_BASIC=$basic wrk --latency -c "$CONNS" -t "$THREADS" -d "$2" \
			-s "$root/bench/token.lua" "http://127.0.0.1:$bport" >"$3" 2>&1 || die "wrk failed: $(cat "$3")"
	fi
}
echo "warming up ($WARMUP each) ..."
run baseline "$WARMUP" "$tmp/warm-b.txt"
run jeton "$WARMUP" "$tmp/warm-j.txt"

echo "measuring: wrk --latency -c $CONNS -t $THREADS -d $DURATION, $ROUNDS round(s), alternating"
broken=0
for ((r = 1; r <= ROUNDS; r++)); do
	for t in baseline jeton; do
		out="$tmp/wrk-$t-$r.txt"
		run "$t" "$DURATION" "$out"
		read -r rps p50 p99 bad < <(parse_wrk "$out")
		printf '  round %d  %-9s %10s req/s  p50 %7.2f ms  p99 %7.2f ms%s\n' "$r" "$t" "$rps" "$p50" "$p99" \
			"$([[ $bad -gt 0 ]] && echo "  ($bad failed requests)")"
		echo "$rps $p50 $p99" >>"$tmp/results-$t.txt"
		[[ $bad -gt 0 ]] && broken=1
	done
done

declare -A m_rps m_p99
for t in baseline jeton; do
	m_rps[$t]=$(awk '{print $1}' "$tmp/results-$t.txt" | median)
	m_p99[$t]=$(awk '{print $3}' "$tmp/results-$t.txt" | median)
done
ratio=$(awk -v j="${m_rps[jeton]}" -v b="${m_rps[baseline]}" 'BEGIN {printf "%.3f", j / b}')
echo
echo "AbbeyCross client_credentials (calendar on, no cap), $CONNS connections, $DURATION x $ROUNDS (medians)"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), Go $(go env GOVERSION)"
printf '  baseline   %8.0f req/s  p99 %6.2f ms\n' "${m_rps[baseline]}" "${m_p99[baseline]}"
printf '  abbeycross %8.0f req/s  p99 %6.2f ms\n' "${m_rps[jeton]}" "${m_p99[jeton]}"
# The verdict compares the unrounded ratio.
verdict=$(awk -v j="${m_rps[jeton]}" -v b="${m_rps[baseline]}" -v m="$MIN_RATIO" 'BEGIN {print (j / b >= m) ? "PASS" : "FAIL"}')
echo "  $verdict ratio abbeycross/baseline = $ratio (target >= $MIN_RATIO)"
if [[ $broken == 1 ]]; then
	KEEP=1
	die "some requests failed (non-2xx or socket errors); the figures above are not valid"
fi
