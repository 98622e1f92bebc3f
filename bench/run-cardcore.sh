#!/usr/bin/env bash
# CardCore benchmark (issue 5, "Speed"): client_credentials at POST
# /cardcore/institutions/oauth/token — RS256 assertion verify, replay record, ES256
# access token and a refresh-token family write per request — against the
# client_credentials baseline (bench/baseline) in the same run, alternately, with the
# same wrk settings. Target: >= 0.3 x the baseline. See docs/benchmarks.md.
#
# Each request spends one assertion (single-use), made before the load by bench/seed
# (RS256, iss = the application's website URL, a fresh jti) and sent one line each by
# bench/lines.lua inside the JSON body.
#
# Environment overrides:
#   CONNS=16 THREADS=1 DURATION=10s (baseline) CC_DURATION=5s ROUNDS=3 WARMUP=2s
#   CC_RATE=5000  assumed CardCore req/s for sizing the assertion file (x SIZE_FACTOR)
#   SIZE_FACTOR=1.3   KEEP=1 keep the temp dir   PIN=1 servers on CPU 0, wrk on CPU 1
#   PROFILE=1   after the report, one more CardCore run under perf record -g, then the
#               hottest symbols
#   STORE=sqlite|postgres  jeton's store (postgres: a fresh database on PG_URL, see lib.sh)
set -euo pipefail

CONNS=${CONNS:-16}
THREADS=${THREADS:-1}
DURATION=${DURATION:-10s}
CC_DURATION=${CC_DURATION:-5s}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-2s}
CC_RATE=${CC_RATE:-5000}
SIZE_FACTOR=${SIZE_FACTOR:-1.3}
KEEP=${KEEP:-}
PIN=${PIN:-}
PROFILE=${PROFILE:-}
MIN_RATIO=0.3

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_tmp jeton-cardcore

secs() { echo "${1%s}"; }
json() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); [v := v[k] for k in sys.argv[2:]]; print(v)' "$@"; }
lines_field() { awk -v k="$2" '/^LINES / { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"; }
srv_pin=() wrk_pin=()
if [[ -n $PIN ]]; then srv_pin=(taskset -c 0); wrk_pin=(taskset -c 1); fi
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"

echo "building jeton, the baseline and the seed tool ..."
go build -o "$tmp/jeton" ./cmd/jeton || die "jeton does not build"
go build -o "$tmp/baseline" ./bench/baseline || die "the baseline does not build"
go build -o "$tmp/seed" ./bench/seed || die "bench/seed does not build"

jport=$(free_port) aport=$(free_port) bport=$(free_port)
data=$tmp/data
mkdir -p "$data"
bench_db "$data"
echo "store: $store_label"
issuer="http://127.0.0.1:$jport"
token_url="$issuer/cardcore/institutions/oauth/token"
website="https://fintech.example"
"${srv_pin[@]}" "$tmp/jeton" serve --addr "127.0.0.1:$jport" --admin-addr "127.0.0.1:$aport" \
	--data-dir "$data" --log-level warn "${store_args[@]}" >>"$tmp/jeton.log" 2>&1 &
jeton_pid=$!
pids+=("$jeton_pid")
wait_http "$issuer/readyz" "$jeton_pid" || die "jeton did not become ready: $(tail -n 20 "$tmp/jeton.log")"
cli() { "$tmp/jeton" "$@" --data-dir "$data" -o json; }

cli institution create --name "Bench Bank" >"$tmp/inst.json" || die "institution create failed"
inst_id=$(json "$tmp/inst.json" id)
cli institution key create "$inst_id" >"$tmp/ikey.json" || die "institution key create failed"
ikey=$(json "$tmp/ikey.json" key)
cli client create --institution "$inst_id" --name baseline --scope accounts:read --grant client_credentials \
	--auth-method client_secret_basic >"$tmp/client.json" || die "client create failed"
client_id=$(json "$tmp/client.json" client_id)
client_secret=$(json "$tmp/client.json" client_secret)
basic=$(python3 -c 'import base64, sys, urllib.parse as u; print(base64.b64encode((u.quote_plus(sys.argv[1]) + ":" + u.quote_plus(sys.argv[2])).encode()).decode())' "$client_id" "$client_secret")

"$tmp/seed" keygen -priv "$tmp/key.pem" -pub "$tmp/pub.pem" || die "seed keygen failed"
python3 - "$tmp/pub.pem" "$website" >"$tmp/create-body.json" <<'PY'
import json, sys
print(json.dumps({"name": "Bench app", "description": "benchmark", "publicKey": open(sys.argv[1]).read(),
    "scopes": ["READ", "WRITE"], "grantType": "client_credentials", "websiteUrl": sys.argv[2],
    "iconUrl": sys.argv[2] + "/icon.png", "isOfficial": False}))
PY
code=$(curl -sS -o "$tmp/app.json" -w '%{http_code}' -H "Authorization: Bearer $ikey" -H 'Content-Type: application/json' \
	--data @"$tmp/create-body.json" "$issuer/cardcore/institutions/oauth/create") || code=000
[[ $code == 201 ]] || die "application create answered $code: $(cat "$tmp/app.json")"
app_client=$(json "$tmp/app.json" data clientId)
app_key=$(json "$tmp/app.json" data institutionId)

extra=0
[[ -z $PROFILE ]] || extra=$(secs "$CC_DURATION")
n=$(awk -v r="$CC_RATE" -v s=$(($(secs "$WARMUP") + (ROUNDS * $(secs "$CC_DURATION")) + extra)) -v f="$SIZE_FACTOR" 'BEGIN { print int(r * s * f) + 1000 }')
echo "making $n RS256 assertions ..."
"$tmp/seed" assertions -key "$tmp/key.pem" -client-id "$app_client" -iss "$website" -aud "$token_url" -n "$n" \
	-out "$tmp/cc.txt" || die "seed assertions failed"
prefix="{\"grant_type\":\"client_credentials\",\"institutionId\":\"$app_key\",\"client_id\":\"$app_client\",\"client_assertion_type\":\"urn:ietf:params:oauth:client-assertion-type:jwt-bearer\",\"client_assertion\":\""
suffix='"}'
code=$(curl -sS -o "$tmp/check.json" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data "$prefix$(head -n 1 "$tmp/cc.txt")$suffix" "$token_url") || code=000
[[ $code == 200 ]] || die "CardCore token answered $code: $(cat "$tmp/check.json")"
json "$tmp/check.json" data refreshToken >/dev/null || die "no refreshToken in $(cat "$tmp/check.json")"

"${srv_pin[@]}" "$tmp/baseline" -addr "127.0.0.1:$bport" -client-id "$client_id" -client-secret "$client_secret" \
	>"$tmp/baseline.log" 2>&1 &
pids+=($!)
wait_port "$bport" "$!" || die "baseline did not start: $(cat "$tmp/baseline.log")"

skip=1
load() { # load TARGET DURATION OUT
	local t=$1 d=$2 out=$3
	if [[ $t == baseline ]]; then
		env BENCH_BASIC="$basic" "${wrk_pin[@]}" wrk --latency -c "$CONNS" -t "$THREADS" -d "$d" \
			-s "$root/bench/token.lua" "http://127.0.0.1:$bport/oauth2/token" >"$out" 2>&1 || die "baseline: wrk failed"
		return
	fi
	env BENCH_LINES="$tmp/cc.txt" BENCH_SKIP="$skip" BENCH_PREFIX="$prefix" BENCH_SUFFIX="$suffix" \
		BENCH_CONTENT_TYPE=application/json BENCH_PATH=/cardcore/institutions/oauth/token BENCH_THREADS="$THREADS" \
		"${wrk_pin[@]}" wrk --latency -c "$CONNS" -t "$THREADS" -d "$d" -s "$root/bench/lines.lua" "$token_url" \
		>"$out" 2>&1 || die "cardcore: wrk failed: $(cat "$out")"
	skip=$((skip + $(lines_field "$out" used)))
}

echo "warming up ($WARMUP each)"
load baseline "$WARMUP" "$tmp/warm-baseline.txt"
load cardcore "$WARMUP" "$tmp/warm-cardcore.txt"
broken=0
for ((r = 1; r <= ROUNDS; r++)); do
	for t in baseline cardcore; do
		d=$DURATION
		[[ $t == cardcore ]] && d=$CC_DURATION
		out="$tmp/wrk-$t-$r.txt"
		load "$t" "$d" "$out"
		read -r rps p50 p99 bad < <(parse_wrk "$out")
		note=""
		[[ $(lines_field "$out" exhausted) == 1 ]] && note="  (ran out of assertions after $(lines_field "$out" secs) s)"
		[[ $bad -gt 0 ]] && note="$note  ($bad failed requests)" && broken=1
		printf '  round %d  %-9s %4s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms%s\n' "$r" "$t" "$d" "$rps" "$p50" "$p99" "$note"
		echo "$rps $p50 $p99" >>"$tmp/results-$t.txt"
	done
done

echo
echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Go $(go env GOVERSION); $CONNS connections; store: $store_label"
for t in baseline cardcore; do
	printf '%-9s median %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms\n' "$t" \
		"$(awk '{print $1}' "$tmp/results-$t.txt" | median)" "$(awk '{print $2}' "$tmp/results-$t.txt" | median)" \
		"$(awk '{print $3}' "$tmp/results-$t.txt" | median)"
done
cc_rps=$(awk '{print $1}' "$tmp/results-cardcore.txt" | median)
base_rps=$(awk '{print $1}' "$tmp/results-baseline.txt" | median)
ratio=$(awk -v a="$cc_rps" -v b="$base_rps" 'BEGIN {printf "%.3f", a / b}')
# The verdict compares the unrounded ratio: 0.299 is not 0.3.
pass=$(awk -v a="$cc_rps" -v b="$base_rps" -v m=$MIN_RATIO 'BEGIN {print (a / b >= m) ? "PASS" : "FAIL"}')
echo "target: $pass  CardCore client_credentials / baseline >= $MIN_RATIO  ($ratio)"
echo "(assertions used $skip of $(wc -l <"$tmp/cc.txt"))"
[[ $broken == 0 ]] || { KEEP=1; die "some requests failed; the figures above are not valid"; }

if [[ -n $PROFILE ]]; then
	command -v perf >/dev/null || die "PROFILE needs perf (Debian: apt-get install linux-perf)"
	echo "profiling jeton with perf during one more $CC_DURATION CardCore run ..."
	perf record -q -F 499 -g -p "$jeton_pid" -o "$tmp/jeton.perf" -- sleep "$(secs "$CC_DURATION")" >"$tmp/perf.log" 2>&1 &
	perf_pid=$!
	load cardcore "$CC_DURATION" "$tmp/wrk-profile.txt"
	wait "$perf_pid" || die "perf record failed: $(cat "$tmp/perf.log")"
	echo "hottest symbols (self):"
	perf report -i "$tmp/jeton.perf" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -25 || true
	echo "hottest symbols (with callees):"
	perf report -i "$tmp/jeton.perf" --children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40 || true
	echo "(perf data: $tmp/jeton.perf)"
fi
