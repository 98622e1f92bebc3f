#!/usr/bin/env bash
# client_credentials benchmark: jeton against the minimal baseline (bench/baseline).
#
# Builds both, starts them on free loopback ports, creates one client in jeton with the
# admin CLI, starts the baseline with the same credentials, warms both up, then drives
# them alternately (baseline, jeton, baseline, jeton, ...) with the same wrk settings
# and reports the median of each. It is a report, not a gate: it exits 0 whether the
# targets pass or fail, and non-zero only when something broke.
#
# Environment overrides:
#   CONNS=16  THREADS=1  DURATION=20s  ROUNDS=3  WARMUP=5s  SETTLE=5
#   ONLY=baseline   measure the baseline alone (while jeton does not build)
#   JETON_ARGS="..." extra serve flags, e.g. the rate limits off for the comparison in
#                   docs/benchmarks.md: JETON_ARGS="--ratelimit-address 0 --ratelimit-client 0"
#   KEEP=1          keep the temp dir (logs, wrk output) instead of removing it
#   PIN=1           pin the servers to CPU 0 and wrk to CPU 1 (taskset), so the load
#                   generator and the server do not share a core; shows how much of the
#                   tail latency is CPU contention on a small machine
#   PROFILE=1       after the report, profile jeton with perf (if present) during one
#                   more wrk run and print the hottest symbols (jeton has no pprof
#                   endpoint; Go binaries keep frame pointers, so perf call graphs work)
#   STORE=sqlite|postgres  jeton's store (postgres: a fresh database on PG_URL, see lib.sh)
set -euo pipefail

CONNS=${CONNS:-16}
THREADS=${THREADS:-1}
DURATION=${DURATION:-20s}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-5s}
SETTLE=${SETTLE:-5}
ONLY=${ONLY:-}
KEEP=${KEEP:-}
PROFILE=${PROFILE:-}
PIN=${PIN:-}
[[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
[[ $WARMUP =~ ^[0-9]+$ ]] && WARMUP="${WARMUP}s"

# Targets from the requirements.
MIN_RATIO=0.6
MAX_P99_MS=10
MAX_IDLE_RSS_MIB=40

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jeton-bench.XXXXXX")
pids=()

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



# json_field FILE KEY prints a top-level string field of a JSON object.
json_field() {
	if command -v jq >/dev/null; then
		jq -er --arg k "$2" '.[$k]' "$1"
	else
		python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
	fi
}



rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# check_token NAME URL: one request by curl; it must be a 200 with an at+jwt access
# token. Prints the claim names so the two targets can be compared.
check_token() {
	local name=$1 url=$2 out="$tmp/check-$1.json" code
	code=$(curl -sS -o "$out" -w '%{http_code}' -u "$client_id:$client_secret" \
		-d grant_type=client_credentials -d scope=accounts:read "$url") || die "$name: request failed"
	[[ $code == 200 ]] || die "$name: token request answered $code: $(head -c 300 "$out")"
	python3 - "$name" "$out" <<'PY' || die "$name: the answer is not an at+jwt token response"
import base64, json, sys
name, path = sys.argv[1], sys.argv[2]
resp = json.load(open(path))
def part(s):
    return json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
head, claims, _ = resp["access_token"].split(".")
h, c = part(head), part(claims)
assert h["typ"] == "at+jwt" and h["alg"] == "ES256", h
assert resp["token_type"] == "Bearer", resp
print(f"  {name:<9} {len(resp['access_token'])} B token, header {sorted(h)}, claims {sorted(c)}")
PY
}

# run_wrk NAME URL DURATION OUTFILE
run_wrk() {
	BENCH_BASIC=$basic "${wrk_pin[@]}" wrk --latency -c "$CONNS" -t "$THREADS" -d "$3" \
		-s "$root/bench/token.lua" "$2" >"$4" 2>&1 || die "$1: wrk failed: $(cat "$4")"
}



srv_pin=() wrk_pin=()
if [[ -n $PIN ]]; then
	command -v taskset >/dev/null || die "PIN=1 needs taskset (util-linux)"
	[[ $(nproc) -ge 2 ]] || die "PIN=1 needs at least 2 CPUs"
	srv_pin=(taskset -c 0)
	wrk_pin=(taskset -c 1)
fi

# ---- load generator -------------------------------------------------------------
if ! command -v wrk >/dev/null; then
	echo "bench: wrk not found; installing it from Debian (apt-get install -y wrk)"
	if ! { apt-get install -y wrk >"$tmp/apt.log" 2>&1 ||
		{ apt-get update >>"$tmp/apt.log" 2>&1 && apt-get install -y wrk >>"$tmp/apt.log" 2>&1; }; }; then
		cat "$tmp/apt.log" >&2
		die "could not install wrk; install it yourself (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk) and run again"
	fi
fi
command -v python3 >/dev/null || die "python3 is required (free ports, JSON parsing)"
command -v curl >/dev/null || die "curl is required"

# ---- build ----------------------------------------------------------------------
if [[ -n $ONLY ]]; then echo "building the baseline (ONLY=$ONLY) ..."; else echo "building the baseline and jeton ..."; fi
go build -o "$tmp/baseline" ./bench/baseline || die "baseline does not build"
targets=(baseline jeton)
if [[ $ONLY == baseline ]]; then
	targets=(baseline)
elif [[ -n $ONLY ]]; then
	die "ONLY may only be 'baseline'"
else
	go build -o "$tmp/jeton" ./cmd/jeton || die "jeton does not build (ONLY=baseline measures the baseline alone)"
fi

# ---- start jeton, create the client -----------------------------------------------
declare -A url pid
rss_start="" rss_after=""
if [[ $ONLY != baseline ]]; then
	jport=$(free_port)
	aport=$(free_port)
	mkdir -p "$tmp/data"
	bench_db "$tmp/data"
	echo "store: $store_label"
	read -ra jeton_args <<<"${JETON_ARGS:-}"
	"${srv_pin[@]}" "$tmp/jeton" serve --addr "127.0.0.1:$jport" --admin-addr "127.0.0.1:$aport" \
		--data-dir "$tmp/data" --log-level warn "${store_args[@]}" "${jeton_args[@]}" >"$tmp/jeton.log" 2>&1 &
	pid[jeton]=$!
	pids+=("${pid[jeton]}")
	wait_http "http://127.0.0.1:$jport/readyz" "${pid[jeton]}" ||
		die "jeton did not become ready: $(tail -n 20 "$tmp/jeton.log")"
	sleep 1
	rss_start=$(rss_kib "${pid[jeton]}")

	"$tmp/jeton" institution create --data-dir "$tmp/data" --name Bench -o json >"$tmp/inst.json" ||
		die "jeton institution create failed"
	inst_id=$(json_field "$tmp/inst.json" id) || die "no .id in $(cat "$tmp/inst.json")"
	"$tmp/jeton" client create --data-dir "$tmp/data" --institution "$inst_id" --name bench \
		--grant client_credentials --auth-method client_secret_basic --scope accounts:read \
		-o json >"$tmp/client.json" || die "jeton client create failed"
	client_id=$(json_field "$tmp/client.json" client_id) || die "no .client_id in client create output"
	client_secret=$(json_field "$tmp/client.json" client_secret) || die "no .client_secret in client create output"
	url[jeton]="http://127.0.0.1:$jport/oauth2/token"
else
	client_id="bench-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
	client_secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
fi

# RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
basic=$(python3 -c 'import base64, sys, urllib.parse as u; print(base64.b64encode((u.quote_plus(sys.argv[1]) + ":" + u.quote_plus(sys.argv[2])).encode()).decode())' "$client_id" "$client_secret")

# ---- start the baseline ------------------------------------------------------------
bport=$(free_port)
"${srv_pin[@]}" "$tmp/baseline" -addr "127.0.0.1:$bport" -client-id "$client_id" -client-secret "$client_secret" \
	>"$tmp/baseline.log" 2>&1 &
pid[baseline]=$!
pids+=("${pid[baseline]}")
wait_port "$bport" "${pid[baseline]}" || die "baseline did not start: $(cat "$tmp/baseline.log")"
url[baseline]="http://127.0.0.1:$bport/oauth2/token"

# ---- check one answer of each, then warm up ------------------------------------------
echo "checking one token from each target:"
for t in "${targets[@]}"; do
	check_token "$t" "${url[$t]}"
done
echo "warming up ($WARMUP each, discarded) ..."
for t in "${targets[@]}"; do
	run_wrk "$t" "${url[$t]}" "$WARMUP" "$tmp/warmup-$t.txt"
done

# ---- measure, alternating -----------------------------------------------------------
echo "measuring: wrk --latency -c $CONNS -t $THREADS -d $DURATION, $ROUNDS round(s), alternating ${targets[*]}"
broken=0
for ((r = 1; r <= ROUNDS; r++)); do
	for t in "${targets[@]}"; do
		out="$tmp/wrk-$t-$r.txt"
		run_wrk "$t" "${url[$t]}" "$DURATION" "$out"
		read -r rps p50 p99 bad < <(parse_wrk "$out")
		printf '  round %d  %-9s %10s req/s  p50 %7.2f ms  p99 %7.2f ms%s\n' \
			"$r" "$t" "$rps" "$p50" "$p99" "$([[ $bad -gt 0 ]] && echo "  ($bad failed requests)")"
		echo "$rps $p50 $p99" >>"$tmp/results-$t.txt"
		if [[ $bad -gt 0 ]]; then
			broken=1
		fi
	done
done

if [[ $ONLY != baseline ]]; then
	sleep "$SETTLE"
	rss_after=$(rss_kib "${pid[jeton]}")
fi
rss_baseline=$(rss_kib "${pid[baseline]}")

# ---- report -----------------------------------------------------------------------
declare -A m_rps m_p50 m_p99
for t in "${targets[@]}"; do
	m_rps[$t]=$(awk '{print $1}' "$tmp/results-$t.txt" | median)
	m_p50[$t]=$(awk '{print $2}' "$tmp/results-$t.txt" | median)
	m_p99[$t]=$(awk '{print $3}' "$tmp/results-$t.txt" | median)
done

echo
echo "client_credentials, $CONNS connections, $THREADS wrk threads, $DURATION x $ROUNDS rounds (median per column); store: ${store_label:-none}"
[[ -n $PIN ]] && echo "PIN=1: servers on CPU 0, wrk on CPU 1"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Go $(go env GOVERSION)"
printf '%-9s | %10s | %9s | %9s\n' target "req/s" "p50 ms" "p99 ms"
printf '%-9s-+-%10s-+-%9s-+-%9s\n' --------- ---------- --------- ---------
for t in "${targets[@]}"; do
	printf '%-9s | %10.0f | %9.2f | %9.2f\n' "$t" "${m_rps[$t]}" "${m_p50[$t]}" "${m_p99[$t]}"
done

status() { if [[ $1 == 1 ]]; then echo PASS; else echo FAIL; fi; }
if [[ $ONLY != baseline ]]; then
	# The verdict compares the unrounded ratio: 0.599 is not 0.6.
	ratio=$(awk -v j="${m_rps[jeton]}" -v b="${m_rps[baseline]}" 'BEGIN {printf "%.3f", j / b}')
	ok_ratio=$(awk -v j="${m_rps[jeton]}" -v b="${m_rps[baseline]}" -v m="$MIN_RATIO" 'BEGIN {print (j / b >= m) ? 1 : 0}')
	ok_p99=$(awk -v p="${m_p99[jeton]}" -v m="$MAX_P99_MS" 'BEGIN {print (p < m) ? 1 : 0}')
	ok_rss=$(awk -v k="$rss_start" -v m="$MAX_IDLE_RSS_MIB" 'BEGIN {print (k / 1024 < m) ? 1 : 0}')
	echo
	echo "throughput ratio jeton/baseline: $ratio"
	echo "jeton RSS: $(mib "$rss_start") MiB idle at start, $(mib "$rss_after") MiB ${SETTLE}s after the load (baseline after the load: $(mib "$rss_baseline") MiB)"
	echo
	echo "targets:"
	printf '  %-4s throughput ratio >= %s          (%s)\n' "$(status "$ok_ratio")" "$MIN_RATIO" "$ratio"
	printf '  %-4s jeton p99 < %s ms at %s connections (%.2f ms)\n' "$(status "$ok_p99")" "$MAX_P99_MS" "$CONNS" "${m_p99[jeton]}"
	printf '  %-4s jeton idle RSS at start < %s MiB  (%s MiB)\n' "$(status "$ok_rss")" "$MAX_IDLE_RSS_MIB" "$(mib "$rss_start")"
else
	echo
	echo "baseline RSS after the load: $(mib "$rss_baseline") MiB"
fi

if [[ $broken == 1 ]]; then
	KEEP=1
	die "some requests failed (non-2xx or socket errors); the figures above are not valid"
fi

# ---- optional CPU profile of jeton ----------------------------------------------------
if [[ -n $PROFILE && $ONLY != baseline ]]; then
	command -v perf >/dev/null || die "PROFILE=1 needs perf (Debian: apt-get install linux-perf)"
	KEEP=1
	echo
	echo "profiling jeton with perf during one more $DURATION run ..."
	run_wrk jeton "${url[jeton]}" "$DURATION" "$tmp/wrk-profile.txt" &
	wrk_pid=$!
	sleep 1
	secs=${DURATION%s}
	secs=$((secs > 3 ? secs - 2 : 1))
	perf record -q -F 499 -g -p "${pid[jeton]}" -o "$tmp/jeton.perf" -- sleep "$secs" >"$tmp/perf.log" 2>&1 ||
		die "perf record failed: $(cat "$tmp/perf.log")"
	wait "$wrk_pid"
	# perf pads its lines; head closes the pipe early, which is fine here.
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
