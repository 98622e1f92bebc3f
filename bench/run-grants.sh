#!/usr/bin/env bash
# Grant benchmarks (issue 3, "Speed"): private_key_jwt client_credentials, refresh_token
# rotation, introspection of a JWT access token, and the password grant with a
# responsiveness check during a password flood. See docs/benchmarks.md.
#
# The ratios are against the client_credentials baseline (bench/baseline) measured in the
# same run, alternately with jeton, with the same wrk settings (CONNS connections,
# THREADS threads). Single-use credentials (assertions, refresh tokens) are made before
# the load by bench/seed and spent one line each by bench/lines.lua.
#
# Phases:
#   1. build jeton, the baseline and the seed tool; seed a few refresh families (this
#      also creates the institution) in a fresh data dir;
#   2. start jeton; create the clients and the customer with the admin CLI; check one
#      request of each kind; calibrate the private_key_jwt and refresh rates (short runs);
#   3. stop jeton; make the assertions and the refresh families for the measured runs,
#      sized from the calibration, both at once (the families go straight into SQLite,
#      so jeton must not be running);
#   4. start jeton again on the same ports; time one argon2id verification on the idle
#      machine; warm up; ROUNDS rounds of baseline, private_key_jwt, introspection,
#      refresh, password; then the password flood with a client_credentials probe;
#   5. report, PASS/FAIL per target. It exits 0 whether targets pass or fail, non-zero
#      only when something broke (a build, a start, the CLI, a failed request).
#
# Environment overrides:
#   CONNS=16 THREADS=1 DURATION=10s ROUNDS=3 WARMUP=3s
#   PK_DURATION=5s REFRESH_DURATION=5s   each private_key_jwt / refresh round (every
#                   request spends a credential that costs ~1 ms of CPU to make)
#   PW_CONNS=4 PW_DURATION=$DURATION     password grant throughput
#   FLOOD_CONNS=32 FLOOD_DURATION=15s    password flood
#   PROBE_CONNS=2 PROBE_DELAY_MS=20      client_credentials probe during the flood
#   SIZE_FACTOR=1.6 credentials made = calibrated rate x seconds x SIZE_FACTOR
#   ONLY=pk,refresh,introspect,password  run a subset (the baseline always runs)
#   KEEP=1  keep the temp dir      PIN=1  servers on CPU 0, wrk on CPU 1
#   PROFILE=pk|refresh|introspect|password  after the report, one more run of that
#                   target under perf record -g, then the hottest symbols
#   STORE=sqlite|postgres  jeton's store (postgres: a fresh database on PG_URL, see lib.sh)
set -euo pipefail

CONNS=${CONNS:-16}
THREADS=${THREADS:-1}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3s}
PK_DURATION=${PK_DURATION:-5s}
REFRESH_DURATION=${REFRESH_DURATION:-5s}
PW_CONNS=${PW_CONNS:-4}
PW_DURATION=${PW_DURATION:-$DURATION}
FLOOD_CONNS=${FLOOD_CONNS:-32}
FLOOD_DURATION=${FLOOD_DURATION:-15s}
PROBE_CONNS=${PROBE_CONNS:-2}
PROBE_DELAY_MS=${PROBE_DELAY_MS:-20}
SIZE_FACTOR=${SIZE_FACTOR:-1.6}
ONLY=${ONLY:-pk,refresh,introspect,password}
KEEP=${KEEP:-}
PIN=${PIN:-}
PROFILE=${PROFILE:-}
for v in DURATION WARMUP PK_DURATION REFRESH_DURATION PW_DURATION FLOOD_DURATION; do
	[[ ${!v} =~ ^[0-9]+$ ]] && printf -v "$v" '%ss' "${!v}"
	[[ ${!v} =~ ^[0-9]+s$ ]] || { echo "bench: $v must be whole seconds (e.g. 10s), got ${!v}" >&2; exit 1; }
done

# Targets (issue 3, "Speed").
MIN_PK_RATIO=0.4
MIN_REFRESH_RPS=2000
MAX_REFRESH_P99_MS=20
MIN_INTROSPECT_RATIO=0.8
MIN_PW_FRACTION=0.8
MAX_PROBE_P99_MS=50

CAL_PK=${CAL_PK:-3000}     # assertions for the calibration run
CAL_REFRESH=${CAL_REFRESH:-4000} # refresh families for the calibration run
CAL_SECS=2
MAX_LINES=${MAX_LINES:-600000} # cap on either credential file

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jeton-grants.XXXXXX")
pids=()
t_start=$SECONDS

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	bench_db_drop
	if [[ -n $KEEP ]]; then
		echo "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


want() { [[ ",$ONLY," == *",$1,"* ]]; }
for t in ${ONLY//,/ }; do
	case $t in pk | refresh | introspect | password) ;; *) die "ONLY: unknown target $t (pk, refresh, introspect, password)" ;; esac
done
case $PROFILE in "" | pk | refresh | introspect | password) ;; *) die "PROFILE must be pk, refresh, introspect or password" ;; esac
[[ -z $PROFILE ]] || want "$PROFILE" || die "PROFILE=$PROFILE is not in ONLY=$ONLY"

secs() { echo "${1%s}"; }


# json_field FILE KEY prints a top-level field of a JSON object.
json_field() {
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(json.dumps(v) if isinstance(v, bool) else v)' "$1" "$2"
}

# basic_of ID SECRET: RFC 6749 §2.3.1, form-urlencoded before base64.
basic_of() {
	python3 -c 'import base64, sys, urllib.parse as u; print(base64.b64encode((u.quote_plus(sys.argv[1]) + ":" + u.quote_plus(sys.argv[2])).encode()).decode())' "$1" "$2"
}




# lines_field FILE KEY: a field of the LINES line of a lines.lua run.
lines_field() {
	awk -v k="$2" '/^LINES / { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"
}


srv_pin=() wrk_pin=()
if [[ -n $PIN ]]; then
	command -v taskset >/dev/null || die "PIN=1 needs taskset (util-linux)"
	[[ $(nproc) -ge 2 ]] || die "PIN=1 needs at least 2 CPUs"
	srv_pin=(taskset -c 0)
	wrk_pin=(taskset -c 1)
fi

# ---- tools ------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
	echo "bench: wrk not found; installing it from Debian (apt-get install -y wrk)"
	if ! { apt-get install -y wrk >"$tmp/apt.log" 2>&1 ||
		{ apt-get update >>"$tmp/apt.log" 2>&1 && apt-get install -y wrk >>"$tmp/apt.log" 2>&1; }; }; then
		cat "$tmp/apt.log" >&2
		die "could not install wrk; install it yourself (Debian/Ubuntu: apt-get install wrk) and run again"
	fi
fi
command -v python3 >/dev/null || die "python3 is required (free ports, JSON parsing)"
command -v curl >/dev/null || die "curl is required"
# lines.lua reads the clock through LuaJIT's ffi.
echo 'local ffi = require("ffi")' >"$tmp/ffi.lua"
wrk -c 1 -t 1 -d 1s -s "$tmp/ffi.lua" http://127.0.0.1:9/ >"$tmp/ffi.out" 2>&1 || true
grep -q "module 'ffi' not found" "$tmp/ffi.out" && die "this wrk is built without LuaJIT (no ffi); bench/lines.lua needs it"

# ---- build ----------------------------------------------------------------------
echo "building jeton, the baseline and the seed tool ..."
go build -o "$tmp/jeton" ./cmd/jeton || die "jeton does not build"
go build -o "$tmp/baseline" ./bench/baseline || die "the baseline does not build"
go build -o "$tmp/seed" ./bench/seed || die "bench/seed does not build"

jport=$(free_port)
aport=$(free_port)
bport=$(free_port)
data=$tmp/data
mkdir -p "$data"
bench_db "$data"
echo "store: $store_label"
issuer="http://127.0.0.1:$jport"
token_url="$issuer/oauth2/token"
jeton_log=$tmp/jeton.log

jeton_pid=""
start_jeton() {
	"${srv_pin[@]}" "$tmp/jeton" serve --addr "127.0.0.1:$jport" --admin-addr "127.0.0.1:$aport" \
		--data-dir "$data" --log-level warn "${store_args[@]}" >>"$jeton_log" 2>&1 &
	jeton_pid=$!
	pids+=("$jeton_pid")
	wait_http "$issuer/readyz" "$jeton_pid" || die "jeton did not become ready: $(tail -n 20 "$jeton_log")"
}
stop_jeton() {
	kill -TERM "$jeton_pid"
	wait "$jeton_pid" 2>/dev/null || true
	jeton_pid=""
}

# ---- phase 1: the institution (and a few refresh families for the calibration) ---------
cal_ref_n=1
want refresh && cal_ref_n=$CAL_REFRESH
"$tmp/seed" refresh -db "$db_target" -n "$cal_ref_n" -tokens "$tmp/refresh-cal.txt" -out "$tmp/refresh.json" 2>"$tmp/seed-refresh-cal.log" ||
	die "seed refresh failed: $(cat "$tmp/seed-refresh-cal.log")"
inst_id=$(json_field "$tmp/refresh.json" institution_id)
ref_basic=$(basic_of "$(json_field "$tmp/refresh.json" client_id)" "$(json_field "$tmp/refresh.json" client_secret)")

# ---- phase 2: jeton, the clients, one check each, calibration ---------------------
start_jeton
cli() { "$tmp/jeton" "$@" --data-dir "$data" -o json; }

# create_client NAME OUT ARGS...: a client of the bench institution.
create_client() {
	local name=$1 out=$2
	shift 2
	cli client create --institution "$inst_id" --name "$name" --scope accounts:read "$@" >"$out" 2>"$out.err" ||
		die "jeton client create --name $name $*: $(cat "$out.err")"
}
create_client bench "$tmp/client.json" --grant client_credentials --auth-method client_secret_basic
client_id=$(json_field "$tmp/client.json" client_id)
client_secret=$(json_field "$tmp/client.json" client_secret)
basic=$(basic_of "$client_id" "$client_secret")

# expect_200 NAME CODE OUT: the request must have answered 200.
expect_200() {
	local name=$1 code=$2 out=$3
	[[ $code == 200 ]] || die "$name: answered $code: $(head -c 400 "$out")"
}

# post OUT [curl args...]: one request by curl; prints the status (000 if it failed).
post() {
	local out=$1
	shift
	curl -sS -o "$out" -w '%{http_code}' "$@" || echo 000
}

pk_form="grant_type=client_credentials&scope=accounts%3Aread&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion="
ref_form="grant_type=refresh_token&refresh_token="
rate_pk="" rate_ref=""

# calibrate NAME FILE PREFIX [BASIC]: a short lines.lua run after the check's line;
# prints the rate.
calibrate() {
	local name=$1 file=$2 prefix=$3 b=${4:-} out="$tmp/calibrate-$1.txt"
	env BENCH_LINES="$file" BENCH_SKIP=1 BENCH_PREFIX="$prefix" BENCH_BASIC="$b" BENCH_THREADS="$THREADS" \
		"${wrk_pin[@]}" wrk --latency -c "$CONNS" -t "$THREADS" -d "${CAL_SECS}s" -s "$root/bench/lines.lua" "$token_url" \
		>"$out" 2>&1 || die "$name calibration: wrk failed: $(cat "$out")"
	local rps p50 p99 bad
	read -r rps p50 p99 bad < <(parse_wrk "$out")
	[[ $bad == 0 ]] || die "$name calibration: $bad failed requests: $(cat "$out")"
	echo "$rps"
}

if want pk; then
	"$tmp/seed" keygen -priv "$tmp/pk-key.pem" -pub "$tmp/pk-pub.pem" || die "seed keygen failed"
	keyflag=--public-key
	"$tmp/jeton" client create --help 2>/dev/null | grep -q -- '--public-key ' || keyflag=--public-key-file
	create_client pk "$tmp/pk.json" --grant client_credentials --auth-method private_key_jwt "$keyflag" "$tmp/pk-pub.pem"
	pk_id=$(json_field "$tmp/pk.json" client_id)
	"$tmp/seed" assertions -key "$tmp/pk-key.pem" -client-id "$pk_id" -aud "$token_url" -n "$CAL_PK" \
		-out "$tmp/pk-cal.txt" 2>"$tmp/seed-pk-cal.log" || die "seed assertions failed: $(cat "$tmp/seed-pk-cal.log")"
	code=$(post "$tmp/check-pk.json" --data "$pk_form$(head -n 1 "$tmp/pk-cal.txt")" "$token_url")
	expect_200 "private_key_jwt client_credentials" "$code" "$tmp/check-pk.json"
	rate_pk=$(calibrate pk "$tmp/pk-cal.txt" "$pk_form")
fi
if want refresh; then
	code=$(post "$tmp/check-refresh.json" -H "Authorization: Basic $ref_basic" --data "$ref_form$(head -n 1 "$tmp/refresh-cal.txt")" "$token_url")
	expect_200 "refresh_token" "$code" "$tmp/check-refresh.json"
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r.get("refresh_token") and r.get("access_token"), r' \
		"$tmp/check-refresh.json" || die "refresh_token: no new refresh token in $(cat "$tmp/check-refresh.json")"
	rate_ref=$(calibrate refresh "$tmp/refresh-cal.txt" "$ref_form" "$ref_basic")
fi
if want introspect; then
	create_client introspector "$tmp/introspector.json" --grant client_credentials --auth-method client_secret_basic
	in_basic=$(basic_of "$(json_field "$tmp/introspector.json" client_id)" "$(json_field "$tmp/introspector.json" client_secret)")
fi
if want password; then
	create_client pw "$tmp/pw.json" --grant password --auth-method client_secret_basic
	pw_basic=$(basic_of "$(json_field "$tmp/pw.json" client_id)" "$(json_field "$tmp/pw.json" client_secret)")
	pw_user=bench-user
	pw_pass=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
	printf '%s\n' "$pw_pass" | "$tmp/jeton" customer create --data-dir "$data" --institution "$inst_id" \
		--username "$pw_user" -o json >"$tmp/customer.json" 2>"$tmp/customer.err" ||
		die "jeton customer create: $(cat "$tmp/customer.err")"
	pw_form="grant_type=password&username=$pw_user&password=$pw_pass&scope=accounts%3Aread"
fi
stop_jeton

# ---- phase 3: the credentials for the measured runs -------------------------------------
# size RATE SECONDS: lines for that many seconds at that rate, with margin, capped.
size() {
	awk -v r="$1" -v s="$2" -v f="$SIZE_FACTOR" -v m="$MAX_LINES" 'BEGIN {
		n = int(r * s * f) + 1000; if (n > m) n = m; print n }'
}
extra_pk=0 extra_ref=0
[[ $PROFILE == pk ]] && extra_pk=$(secs "$PK_DURATION")
[[ $PROFILE == refresh ]] && extra_ref=$(secs "$REFRESH_DURATION")
seed_pids=()
if want pk; then
	n_pk=$(size "$rate_pk" $(($(secs "$WARMUP") + ROUNDS * $(secs "$PK_DURATION") + extra_pk)))
	echo "private_key_jwt calibration: $(printf '%.0f' "$rate_pk") req/s; making $n_pk RS256 assertions ..."
	"$tmp/seed" assertions -key "$tmp/pk-key.pem" -client-id "$pk_id" -aud "$token_url" -n "$n_pk" \
		-out "$tmp/pk.txt" 2>"$tmp/seed-pk.log" &
	seed_pids+=($!)
fi
if want refresh; then
	n_ref=$(size "$rate_ref" $(($(secs "$WARMUP") + ROUNDS * $(secs "$REFRESH_DURATION") + extra_ref)))
	echo "refresh calibration: $(printf '%.0f' "$rate_ref") req/s; seeding $n_ref refresh families ..."
	"$tmp/seed" refresh -db "$db_target" -reuse -n "$n_ref" -tokens "$tmp/refresh.txt" -out "$tmp/refresh.json" \
		2>"$tmp/seed-refresh.log" &
	seed_pids+=($!)
fi
for p in "${seed_pids[@]}"; do
	wait "$p" || die "seeding failed: $(cat "$tmp"/seed-*.log)"
done
cat "$tmp"/seed-pk.log "$tmp"/seed-refresh.log 2>/dev/null | sed 's/^/  /' || true

# ---- phase 4: measure ---------------------------------------------------------------------
start_jeton
sleep 1

if want password; then
	"$tmp/seed" argon2 -n 15 >"$tmp/argon2.json" || die "seed argon2 failed"
	verify_ms=$(json_field "$tmp/argon2.json" median_ms)
	code=$(post "$tmp/check-pw.json" -H "Authorization: Basic $pw_basic" --data "$pw_form" "$token_url")
	expect_200 "password grant" "$code" "$tmp/check-pw.json"
fi
if want introspect; then
	code=$(post "$tmp/at.json" -u "$client_id:$client_secret" -d grant_type=client_credentials -d scope=accounts:read "$token_url")
	expect_200 "client_credentials (token to introspect)" "$code" "$tmp/at.json"
	at=$(json_field "$tmp/at.json" access_token)
	in_form="token=$at&token_type_hint=access_token"
	code=$(post "$tmp/check-introspect.json" -H "Authorization: Basic $in_basic" --data "$in_form" "$issuer/oauth2/introspect")
	expect_200 "introspection" "$code" "$tmp/check-introspect.json"
	[[ $(json_field "$tmp/check-introspect.json" active) == true ]] ||
		die "introspection: the token is not active: $(cat "$tmp/check-introspect.json")"
fi

"${srv_pin[@]}" "$tmp/baseline" -addr "127.0.0.1:$bport" -client-id "$client_id" -client-secret "$client_secret" \
	>"$tmp/baseline.log" 2>&1 &
baseline_pid=$!
pids+=("$baseline_pid")
wait_port "$bport" "$baseline_pid" || die "baseline did not start: $(cat "$tmp/baseline.log")"
code=$(post "$tmp/check-baseline.json" -u "$client_id:$client_secret" -d grant_type=client_credentials -d scope=accounts:read \
	"http://127.0.0.1:$bport/oauth2/token")
expect_200 baseline "$code" "$tmp/check-baseline.json"

pk_skip=0 ref_skip=0
broken=0
# load TARGET DURATION OUT [CONNS]: one wrk run of a target.
load() {
	local t=$1 d=$2 out=$3 c=${4:-$CONNS} e=() s url=$token_url
	case $t in
	baseline)
		e=(BENCH_BASIC="$basic") s=token.lua url="http://127.0.0.1:$bport/oauth2/token" ;;
	pk)
		e=(BENCH_LINES="$tmp/pk.txt" BENCH_SKIP="$pk_skip" BENCH_PREFIX="$pk_form") s=lines.lua ;;
	refresh)
		e=(BENCH_LINES="$tmp/refresh.txt" BENCH_SKIP="$ref_skip" BENCH_PREFIX="$ref_form" BENCH_BASIC="$ref_basic") s=lines.lua ;;
	introspect)
		e=(BENCH_BODY="$in_form" BENCH_BASIC="$in_basic" BENCH_PATH=/oauth2/introspect) s=form.lua url="$issuer/oauth2/introspect" ;;
	password | flood)
		e=(BENCH_BODY="$pw_form" BENCH_BASIC="$pw_basic") s=form.lua ;;
	probe)
		e=(BENCH_BODY="grant_type=client_credentials&scope=accounts%3Aread" BENCH_BASIC="$basic" BENCH_DELAY_MS="$PROBE_DELAY_MS") s=form.lua ;;
	esac
	env "${e[@]}" BENCH_THREADS="$THREADS" "${wrk_pin[@]}" wrk --latency -c "$c" -t "$THREADS" -d "$d" \
		-s "$root/bench/$s" "$url" >"$out" 2>&1 || die "$t: wrk failed: $(cat "$out")"
	if [[ $s == lines.lua ]]; then
		local used
		used=$(lines_field "$out" used)
		[[ -n $used ]] || die "$t: no LINES summary from lines.lua: $(cat "$out")"
		if [[ $t == pk ]]; then pk_skip=$((pk_skip + used)); else ref_skip=$((ref_skip + used)); fi
	fi
}

targets=(baseline)
for t in pk introspect refresh password; do want "$t" && targets+=("$t"); done
declare -A dur=([baseline]=$DURATION [pk]=$PK_DURATION [introspect]=$DURATION [refresh]=$REFRESH_DURATION [password]=$PW_DURATION)
declare -A conns=([baseline]=$CONNS [pk]=$CONNS [introspect]=$CONNS [refresh]=$CONNS [password]=$PW_CONNS)

echo "warming up ($WARMUP each, discarded): ${targets[*]}"
for t in "${targets[@]}"; do
	load "$t" "$WARMUP" "$tmp/warmup-$t.txt" "${conns[$t]}"
done

echo "measuring: $ROUNDS round(s) of ${targets[*]}; $CONNS connections (password: $PW_CONNS), $THREADS wrk thread(s)"
for ((r = 1; r <= ROUNDS; r++)); do
	for t in "${targets[@]}"; do
		out="$tmp/wrk-$t-$r.txt"
		load "$t" "${dur[$t]}" "$out" "${conns[$t]}"
		read -r rps p50 p99 bad < <(parse_wrk "$out")
		note=""
		[[ $(lines_field "$out" exhausted) == 1 ]] && note="  (ran out of lines after $(lines_field "$out" secs) s; rate over that time)"
		[[ $bad -gt 0 ]] && note="$note  ($bad failed requests)" && broken=1
		printf '  round %d  %-10s %4s %10.0f req/s  p50 %7.2f ms  p99 %7.2f ms%s\n' \
			"$r" "$t" "${dur[$t]}" "$rps" "$p50" "$p99" "$note"
		echo "$rps $p50 $p99" >>"$tmp/results-$t.txt"
	done
done

flood_rps="" probe_p50="" probe_p99="" probe_bad=0 flood_503=0 flood_total=0 probe_n=0
if want password; then
	fd=$(secs "$FLOOD_DURATION")
	pd=$((fd > 6 ? fd - 4 : fd / 2))
	[[ $pd -ge 1 ]] || pd=1
	echo "password flood: $FLOOD_CONNS connections for $FLOOD_DURATION; after 2 s a client_credentials probe" \
		"($PROBE_CONNS connections, ${PROBE_DELAY_MS} ms between requests) for ${pd}s"
	load flood "$FLOOD_DURATION" "$tmp/wrk-flood.txt" "$FLOOD_CONNS" &
	flood_pid=$!
	sleep 2
	load probe "${pd}s" "$tmp/wrk-probe.txt" "$PROBE_CONNS"
	wait "$flood_pid" || die "the flood's wrk failed: $(cat "$tmp/wrk-flood.txt")"
	read -r _ probe_p50 probe_p99 probe_bad < <(parse_wrk "$tmp/wrk-probe.txt")
	probe_n=$(awk '/requests in/ {print $1}' "$tmp/wrk-probe.txt")
	flood_total=$(awk '/requests in/ {print $1}' "$tmp/wrk-flood.txt")
	flood_503=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$tmp/wrk-flood.txt")
	flood_503=${flood_503:-0}
	flood_rps=$(awk -v n="$flood_total" -v b="$flood_503" -v d="$fd" 'BEGIN {printf "%.1f", (n - b) / d}')
	[[ $probe_bad -gt 0 ]] && broken=1
fi

# ---- phase 5: report ------------------------------------------------------------------
declare -A m_rps m_p50 m_p99
for t in "${targets[@]}"; do
	m_rps[$t]=$(awk '{print $1}' "$tmp/results-$t.txt" | median)
	m_p50[$t]=$(awk '{print $2}' "$tmp/results-$t.txt" | median)
	m_p99[$t]=$(awk '{print $3}' "$tmp/results-$t.txt" | median)
done
declare -A label=([baseline]="baseline client_credentials" [pk]="private_key_jwt client_credentials"
	[introspect]="introspection of a JWT" [refresh]="refresh_token (rotation)" [password]="password grant")

echo
echo "grants, $THREADS wrk thread(s), $ROUNDS rounds (median per column); store: $store_label"
[[ -n $PIN ]] && echo "PIN=1: servers on CPU 0, wrk on CPU 1"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Go $(go env GOVERSION)"
printf '%-36s | %5s | %4s | %10s | %9s | %9s\n' target conns run "req/s" "p50 ms" "p99 ms"
printf -- '-%.0s' {1..88}
echo
for t in "${targets[@]}"; do
	printf '%-36s | %5s | %4s | %10.0f | %9.2f | %9.2f\n' "${label[$t]}" "${conns[$t]}" "${dur[$t]}" "${m_rps[$t]}" "${m_p50[$t]}" "${m_p99[$t]}"
done

status() { if [[ $1 == 1 ]]; then echo PASS; else echo FAIL; fi; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN {print (a >= b) ? 1 : 0}'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN {print (a < b) ? 1 : 0}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
# ratio_ge A B MIN: 1 when A / B >= MIN, unrounded (0.399 is not 0.4).
ratio_ge() { awk -v a="$1" -v b="$2" -v m="$3" 'BEGIN {print (a / b >= m) ? 1 : 0}'; }
echo
echo "targets:"
if want pk; then
	rp=$(ratio "${m_rps[pk]}" "${m_rps[baseline]}")
	printf '  %-4s private_key_jwt / baseline >= %s            (%s)\n' "$(status "$(ratio_ge "${m_rps[pk]}" "${m_rps[baseline]}" $MIN_PK_RATIO)")" $MIN_PK_RATIO "$rp"
fi
if want refresh; then
	printf '  %-4s refresh_token >= %s req/s                  (%.0f)\n' "$(status "$(ge "${m_rps[refresh]}" $MIN_REFRESH_RPS)")" $MIN_REFRESH_RPS "${m_rps[refresh]}"
	printf '  %-4s refresh_token p99 < %s ms                    (%.2f ms)\n' "$(status "$(lt "${m_p99[refresh]}" $MAX_REFRESH_P99_MS)")" $MAX_REFRESH_P99_MS "${m_p99[refresh]}"
fi
if want introspect; then
	ri=$(ratio "${m_rps[introspect]}" "${m_rps[baseline]}")
	printf '  %-4s introspection / baseline >= %s              (%s)\n' "$(status "$(ratio_ge "${m_rps[introspect]}" "${m_rps[baseline]}" $MIN_INTROSPECT_RATIO)")" $MIN_INTROSPECT_RATIO "$ri"
fi
if want password; then
	cores=$(nproc)
	bound=$(awk -v c="$cores" -v ms="$verify_ms" 'BEGIN {printf "%.1f", c * 1000 / ms}')
	fr=$(ratio "${m_rps[password]}" "$bound")
	printf '  %-4s password >= %s x (%d cores / %.1f ms verify = %s/s)  (%.1f/s = %s x)\n' \
		"$(status "$(ratio_ge "${m_rps[password]}" "$bound" $MIN_PW_FRACTION)")" $MIN_PW_FRACTION "$cores" "$verify_ms" "$bound" "${m_rps[password]}" "$fr"
	printf '  %-4s client_credentials p99 < %s ms during the flood (%.2f ms, p50 %.2f ms, %s requests)\n' \
		"$(status "$(lt "$probe_p99" $MAX_PROBE_P99_MS)")" $MAX_PROBE_P99_MS "$probe_p99" "$probe_p50" "$probe_n"
	echo "       flood: $flood_total answers in $FLOOD_DURATION, $flood_503 of them not 200 (503 from the bounded queue expected);" \
		"$flood_rps password grants/s answered 200"
fi
used_note=""
want pk && used_note="assertions used $pk_skip of $(wc -l <"$tmp/pk.txt")"
want refresh && used_note="${used_note:+$used_note; }refresh tokens used $ref_skip of $(wc -l <"$tmp/refresh.txt")"
[[ -n $used_note ]] && echo "($used_note)"
echo "total time: $((SECONDS - t_start)) s"

if [[ $broken == 1 ]]; then
	KEEP=1
	die "some requests failed (non-2xx or socket errors); the figures above are not valid"
fi

# ---- optional CPU profile of jeton ----------------------------------------------------
if [[ -n $PROFILE ]]; then
	command -v perf >/dev/null || die "PROFILE needs perf (Debian: apt-get install linux-perf)"
	KEEP=1
	d=${dur[$PROFILE]}
	echo
	echo "profiling jeton with perf during one more $d run of $PROFILE ..."
	load "$PROFILE" "$d" "$tmp/wrk-profile.txt" "${conns[$PROFILE]}" &
	wrk_pid=$!
	sleep 1
	s=$(secs "$d")
	s=$((s > 3 ? s - 2 : 1))
	perf record -q -F 499 -g -p "$jeton_pid" -o "$tmp/jeton.perf" -- sleep "$s" >"$tmp/perf.log" 2>&1 ||
		die "perf record failed: $(cat "$tmp/perf.log")"
	wait "$wrk_pid"
	set +o pipefail
	echo "self time, top symbols ([k] = kernel):"
	perf report -i "$tmp/jeton.perf" --no-children --sort symbol --stdio -g none 2>/dev/null |
		grep '%' | sed 's/[[:space:]-]*$//' | head -n 25
	echo
	echo "inclusive time, top user-space symbols:"
	perf report -i "$tmp/jeton.perf" --children --sort symbol --stdio -g none 2>/dev/null |
		grep '%' | grep -v '\[k\]' | sed 's/[[:space:]-]*$//' | head -n 60
	set -o pipefail
	echo "(perf data: $tmp/jeton.perf; perf report -i $tmp/jeton.perf --children)"
fi
