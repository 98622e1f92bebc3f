#!/usr/bin/env bash
# Scale benchmark (issue 16; docs/benchmarks.md, "Scale"): the grants of run.sh and
# run-grants.sh against a bank-sized store, alternating with an empty one.
#
# Phases:
#   1. build jeton and bench/scale; bulk-load the full store (by default 10,000
#      institutions, 100,000 clients, 1,000,000 customers, 10,000,000 live refresh
#      families, 1,000,000 replay records and opaque tokens, and EXPIRED of each kind
#      again already expired) and the empty one (the same institutions and clients,
#      one customer per institution, only the families and opaque tokens the runs
#      spend), timing the load;
#   2. make the request lines: client_credentials of clients drawn from a Zipf
#      distribution (ZIPF), private_key_jwt assertions likewise, refresh tokens of
#      distinct random live families, opaque tokens to introspect;
#   3. start jeton on the full store and at once run refresh load while its first
#      janitor pass deletes the expired rows, then the same load again after the pass
#      (the janitor's effect on p99; JANITOR=0 skips this);
#   4. start jeton on the empty store; create a CardCore application on each; check
#      one request of each kind on each; warm up; ROUNDS rounds of every target,
#      full and empty alternately;
#   5. report req/s, p50, p99 per target and store, p99 full / empty, each database's
#      size on disk, each server's RSS (now and peak) and client-cache hit rate.
# It exits 0 whether the targets pass or fail, non-zero only when something broke.
#
# Environment overrides:
#   CONNS=16 THREADS=1 DURATION=10s ROUNDS=3 WARMUP=3s   (see lib.sh)
#   SPEND_DURATION=5s     each run of a target that spends single-use lines (pk,
#                         refresh, cardcore)
#   INSTITUTIONS=10000 CLIENTS=100000 CUSTOMERS=1000000 FAMILIES=10000000
#   REPLAYS=1000000 OPAQUE=1000000 EXPIRED=0.1   the full store
#   ZIPF=1.1              Zipf exponent of the clients' popularity
#   RATE_PK=2000 RATE_REFRESH=10000 RATE_CARDCORE=2000   the most req/s expected,
#                         which sizes the single-use lines (x 1.5)
#   ONLY=cc,pk,refresh,introspect,cardcore   a subset
#   JANITOR=1 JANITOR_DURATION=10s   phase 3
#   STORE=sqlite|postgres  (postgres: two fresh databases on PG_URL, dropped after)
#   KEEP=1  keep the temp dir
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_settings
SPEND_DURATION=${SPEND_DURATION:-5s}
[[ $SPEND_DURATION =~ ^[0-9]+$ ]] && SPEND_DURATION="${SPEND_DURATION}s"
INSTITUTIONS=${INSTITUTIONS:-10000}
CLIENTS=${CLIENTS:-100000}
CUSTOMERS=${CUSTOMERS:-1000000}
FAMILIES=${FAMILIES:-10000000}
REPLAYS=${REPLAYS:-1000000}
OPAQUE=${OPAQUE:-1000000}
EXPIRED=${EXPIRED:-0.1}
ZIPF=${ZIPF:-1.1}
RATE_PK=${RATE_PK:-2000}
RATE_REFRESH=${RATE_REFRESH:-10000}
RATE_CARDCORE=${RATE_CARDCORE:-2000}
ONLY=${ONLY:-cc,pk,refresh,introspect,cardcore}
JANITOR=${JANITOR:-1}
JANITOR_DURATION=${JANITOR_DURATION:-10s}
[[ $JANITOR_DURATION =~ ^[0-9]+$ ]] && JANITOR_DURATION="${JANITOR_DURATION}s"
MAX_P99_RATIO=1.2
MAX_JANITOR_P99_RATIO=1.5

want() { [[ ",$ONLY," == *",$1,"* ]]; }
secs() { local d=${1%s}; echo "${d%.*}"; }
for c in wrk curl python3 go; do command -v "$c" >/dev/null || die "needs $c"; done
t_start=$SECONDS

bench_tmp jeton-scale
stores=(full empty)

# ---- phase 1: build, load -------------------------------------------------------------
echo "building jeton and bench/scale ..."
(cd "$root" && go build -o "$tmp/jeton" ./cmd/jeton && go build -o "$tmp/scale" ./bench/scale &&
	go build -o "$tmp/seed" ./bench/seed) || die "build failed"

STORE=${STORE:-sqlite}
declare -A db serve_args url aurl pid log
pg_dbs=()
scale_cleanup() {
	local d
	for d in "${pg_dbs[@]}"; do psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
	bench_cleanup
}
trap scale_cleanup EXIT
for s in "${stores[@]}"; do
	mkdir -p "$tmp/$s"
	if [[ $STORE == postgres ]]; then
		command -v psql >/dev/null || die "STORE=postgres needs psql"
		PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
		name="jeton_scale_${s}_$$"
		psql "$PG_URL" -qc "CREATE DATABASE $name" >/dev/null || die "could not create database $name"
		pg_dbs+=("$name")
		db[$s]=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$PG_URL" "$name")
		serve_args[$s]="--data-dir $tmp/$s --database ${db[$s]}"
	else
		[[ $STORE == sqlite ]] || die "STORE must be sqlite or postgres"
		db[$s]="$tmp/$s/jeton.db"
		serve_args[$s]="--data-dir $tmp/$s"
	fi
done

# lines sized for RATE req/s over the warm-up and every round, with margin.
spend_lines() { awk -v r="$1" -v s=$(($(secs "$WARMUP") + ROUNDS * $(secs "$SPEND_DURATION"))) 'BEGIN { print int(r * s * 1.5) + 100 }'; }
n_pk=$(spend_lines "$RATE_PK")
n_ref=$(spend_lines "$RATE_REFRESH")
n_cardcore=$(spend_lines "$RATE_CARDCORE")
n_ref_full=$n_ref
[[ $JANITOR == 1 ]] && want refresh && n_ref_full=$((n_ref + 2 * RATE_REFRESH * $(secs "$JANITOR_DURATION")))

echo "loading the full store ($STORE): $INSTITUTIONS institutions, $CLIENTS clients, $CUSTOMERS customers," \
	"$FAMILIES refresh families, $REPLAYS replay records, $OPAQUE opaque tokens (+ $EXPIRED of each expired) ..."
# -expired is a fraction of all rows: FAMILIES / (1 - EXPIRED) rows leave FAMILIES live.
with_expired() { awk -v n="$1" -v e="$EXPIRED" 'BEGIN { printf "%d\n", n / (1 - e) + 0.5 }'; }
"$tmp/scale" load -db "${db[full]}" -manifest "$tmp/full.json" -institutions "$INSTITUTIONS" -clients "$CLIENTS" \
	-customers "$CUSTOMERS" -families "$(with_expired "$FAMILIES")" -replays "$(with_expired "$REPLAYS")" \
	-opaque "$(with_expired "$OPAQUE")" -expired "$EXPIRED" \
	2>&1 | sed 's/^/  /'
[[ ${PIPESTATUS[0]} == 0 ]] || die "loading the full store failed"
echo "loading the empty store: the same institutions and clients, $INSTITUTIONS customers, $n_ref refresh families, 10000 opaque tokens ..."
"$tmp/scale" load -db "${db[empty]}" -manifest "$tmp/empty.json" -keys "$tmp" -institutions "$INSTITUTIONS" -clients "$CLIENTS" \
	-customers "$INSTITUTIONS" -families "$n_ref" -replays 0 -opaque 10000 2>&1 | sed 's/^/  /'
[[ ${PIPESTATUS[0]} == 0 ]] || die "loading the empty store failed"
load_secs=$(field "$tmp/full.json" load_secs)

# ---- phase 2: request lines -------------------------------------------------------------
ports() { jp[$1]=$(free_port); ap[$1]=$(free_port); url[$1]="http://127.0.0.1:${jp[$1]}"; aurl[$1]="http://127.0.0.1:${ap[$1]}"; }
declare -A jp ap
for s in "${stores[@]}"; do ports "$s"; done
echo "making request lines (Zipf s=$ZIPF over the clients) ..."
for s in "${stores[@]}"; do
	m="$tmp/$s.json"
	want cc && { "$tmp/scale" lines -manifest "$m" -kind cc -n 200000 -zipf "$ZIPF" -out "$tmp/$s-cc.txt" || die "lines cc"; }
	want introspect && { "$tmp/scale" lines -manifest "$m" -kind introspect -n 100000 -out "$tmp/$s-introspect.txt" || die "lines introspect"; }
	if want refresh; then
		n=$n_ref
		[[ $s == full ]] && n=$n_ref_full
		"$tmp/scale" lines -manifest "$m" -kind refresh -n "$n" -out "$tmp/$s-refresh.txt" || die "lines refresh"
	fi
	if want pk; then
		"$tmp/scale" lines -manifest "$m" -kind pk -n "$n_pk" -zipf "$ZIPF" -aud "${url[$s]}/oauth2/token" \
			-out "$tmp/$s-pk.txt" || die "lines pk"
	fi
done

# ---- phase 3: jeton on the full store, its janitor pass under refresh load -----------
start() { # start STORE
	local s=$1
	log[$s]="$tmp/$s.log"
	# shellcheck disable=SC2086 # serve_args holds several words
	"$tmp/jeton" serve --addr "127.0.0.1:${jp[$s]}" --admin-addr "127.0.0.1:${ap[$s]}" --log-level warn \
		${serve_args[$s]} >>"${log[$s]}" 2>&1 &
	pid[$s]=$!
	pids+=("${pid[$s]}")
	wait_http "${url[$s]}/readyz" "${pid[$s]}" || die "jeton ($s) did not become ready: $(tail -n 20 "${log[$s]}")"
}
metric() { # metric STORE NAME{labels} : the sum of the matching samples
	curl -fsS "${aurl[$1]}/metrics" | awk -v m="$2" 'index($0, m) == 1 { s += $NF } END { printf "%.0f\n", s }'
}
declare -A skip
for s in "${stores[@]}"; do for t in pk refresh cardcore; do skip[$s-$t]=0; done; done
# load STORE TARGET DURATION OUT
load() {
	local s=$1 t=$2 d=$3 out=$4 cycle=1 path=/oauth2/token file="$tmp/$1-$2.txt" e=()
	case $t in
	pk | refresh) cycle=0 ;;
	introspect) path=/oauth2/introspect ;;
	esac
	if [[ $t == cardcore ]]; then
		e=(BENCH_PREFIX="${cc_prefix[$s]}" BENCH_SUFFIX='"}' BENCH_CONTENT_TYPE=application/json
			BENCH_PATH=/cardcore/institutions/oauth/token BENCH_SKIP="${skip[$s-$t]}" BENCH_LINES="$file")
		env "${e[@]}" BENCH_THREADS="$THREADS" wrk --latency -c "$CONNS" -t "$THREADS" -d "$d" \
			-s "$root/bench/lines.lua" "${url[$s]}" >"$out" 2>&1 || die "$s $t: wrk failed: $(cat "$out")"
	else
		env BENCH_LINES="$file" BENCH_CYCLE=$cycle BENCH_SKIP="${skip[$s-$t]:-0}" BENCH_PATH=$path BENCH_THREADS="$THREADS" \
			wrk --latency -c "$CONNS" -t "$THREADS" -d "$d" -s "$root/bench/scale.lua" "${url[$s]}" >"$out" 2>&1 ||
			die "$s $t: wrk failed: $(cat "$out")"
	fi
	if [[ $cycle == 0 || $t == cardcore ]]; then
		local used
		used=$(awk '/^LINES / { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "used") print kv[2] } }' "$out")
		[[ -n $used ]] || die "$s $t: no LINES summary: $(cat "$out")"
		[[ $used -gt 0 ]] || die "$s $t: no lines left (raise RATE_${t^^}: more lines are made per req/s expected)"
		skip[$s-$t]=$((skip[$s-$t] + used))
	fi
}

start full
jan_note=""
if [[ $JANITOR == 1 ]] && want refresh; then
	echo "janitor: refresh load for $JANITOR_DURATION from the moment jeton (full store) is ready, while its first pass deletes the expired rows ..."
	t0=$(date +%s.%N)
	load full refresh "$JANITOR_DURATION" "$tmp/jan-during.txt" &
	wrk_pid=$!
	pass_end=""
	passed() { [[ $(metric full 'jeton_janitor_passes_total{result="ok"}') -ge 1 ]]; }
	while kill -0 "$wrk_pid" 2>/dev/null; do
		if [[ -z $pass_end ]] && passed; then pass_end=$(date +%s.%N); fi
		sleep 0.2
	done
	i=0
	while [[ -z $pass_end ]] && ((i++ < 3000)); do
		if passed; then pass_end=$(date +%s.%N); else sleep 0.2; fi
	done
	[[ -n $pass_end ]] || die "janitor phase: no janitor pass ended within 10 minutes"
	wait "$wrk_pid" || die "janitor phase: wrk failed"
	# the single-use lines the background run spent (its skip update was in a subshell)
	used=$(awk '/^LINES / { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "used") print kv[2] } }' "$tmp/jan-during.txt")
	skip[full-refresh]=$((skip[full-refresh] + used))
	jan_rows=$(metric full jeton_janitor_deleted_rows_total)
	jan_secs=$(awk -v a="$t0" -v b="$pass_end" 'BEGIN { printf "%.1f", b - a }')
	load full refresh "$JANITOR_DURATION" "$tmp/jan-quiet.txt"
	read -r jd_rps _ jd_p99 jd_bad < <(parse_wrk "$tmp/jan-during.txt")
	read -r jq_rps _ jq_p99 jq_bad < <(parse_wrk "$tmp/jan-quiet.txt")
	[[ $jd_bad == 0 && $jq_bad == 0 ]] || die "janitor phase: failed requests"
	jan_note=$(printf 'first janitor pass: %s rows in about %s s (ended %s s after ready; %.0f rows/s or more)\n  refresh during the pass: %.0f req/s, p99 %.2f ms; after it: %.0f req/s, p99 %.2f ms; p99 ratio %.2f' \
		"$jan_rows" "$jan_secs" "$jan_secs" "$(awk -v r="$jan_rows" -v s="$jan_secs" 'BEGIN { print (s > 0) ? r / s : 0 }')" \
		"$jd_rps" "$jd_p99" "$jq_rps" "$jq_p99" "$(awk -v a="$jd_p99" -v b="$jq_p99" 'BEGIN { printf "%.2f", a / b }')")
	echo "  $jan_note"
	awk -v a="$jan_secs" -v d="$(secs "$JANITOR_DURATION")" 'BEGIN { exit !(a < d) }' &&
		echo "  (the pass was shorter than the run: the during-p99 is diluted; raise EXPIRED or FAMILIES)"
fi

# ---- phase 4: the empty store, CardCore, checks, rounds ----------------------------------
start empty
declare -A cc_prefix
if want cardcore; then
	for s in "${stores[@]}"; do
		inst=$(python3 -c 'import json,sys,hmac,hashlib; m=json.load(open(sys.argv[1])); import binascii
seed=binascii.unhexlify(m["seed"]); h=hmac.new(seed, b"inst" + (0).to_bytes(8, "big"), hashlib.sha256).digest()[:16]; print(h.hex())' "$tmp/$s.json")
		# the admin CLI finds the server's admin API through the data dir, on either store
		"$tmp/jeton" institution key create "$inst" --data-dir "$tmp/$s" -o json >"$tmp/$s-ikey.json" || die "$s: institution key create failed"
		ikey=$(field "$tmp/$s-ikey.json" key)
		"$tmp/seed" keygen -priv "$tmp/$s-cc-key.pem" -pub "$tmp/$s-cc-pub.pem" || die "seed keygen failed"
		python3 - "$tmp/$s-cc-pub.pem" >"$tmp/$s-create.json" <<'PY'
import json, sys
print(json.dumps({"name": "Scale app", "description": "benchmark", "publicKey": open(sys.argv[1]).read(),
    "scopes": ["READ", "WRITE"], "grantType": "client_credentials", "websiteUrl": "https://fintech.example",
    "iconUrl": "https://fintech.example/icon.png", "isOfficial": False}))
PY
		code=$(curl -sS -o "$tmp/$s-app.json" -w '%{http_code}' -H "Authorization: Bearer $ikey" -H 'Content-Type: application/json' \
			--data @"$tmp/$s-create.json" "${url[$s]}/cardcore/institutions/oauth/create") || code=000
		[[ $code == 201 ]] || die "$s: CardCore application create answered $code: $(cat "$tmp/$s-app.json")"
		app_client=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["clientId"])' "$tmp/$s-app.json")
		app_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["institutionId"])' "$tmp/$s-app.json")
		"$tmp/seed" assertions -key "$tmp/$s-cc-key.pem" -client-id "$app_client" -iss https://fintech.example \
			-aud "${url[$s]}/cardcore/institutions/oauth/token" -n "$n_cardcore" -out "$tmp/$s-cardcore.txt" 2>/dev/null ||
			die "seed assertions failed"
		cc_prefix[$s]="{\"grant_type\":\"client_credentials\",\"institutionId\":\"$app_key\",\"client_id\":\"$app_client\",\"client_assertion_type\":\"urn:ietf:params:oauth:client-assertion-type:jwt-bearer\",\"client_assertion\":\""
	done
fi

targets=()
for t in cc pk refresh introspect cardcore; do want "$t" && targets+=("$t"); done
echo "checking one request of each kind on each store ..."
for s in "${stores[@]}"; do
	for t in "${targets[@]}"; do
		out="$tmp/check-$s-$t.json"
		if [[ $t == cardcore ]]; then
			code=$(curl -sS -o "$out" -w '%{http_code}' -H 'Content-Type: application/json' \
				--data "${cc_prefix[$s]}$(sed -n "$((skip[$s-$t] + 1))p" "$tmp/$s-$t.txt")\"}" \
				"${url[$s]}/cardcore/institutions/oauth/token") || code=000
		else
			line=$(sed -n "$((${skip[$s-$t]:-0} + 1))p" "$tmp/$s-$t.txt")
			basic=${line%%$'\t'*}
			body=${line#*$'\t'}
			path=/oauth2/token
			[[ $t == introspect ]] && path=/oauth2/introspect
			hdr=()
			[[ -n $basic ]] && hdr=(-H "Authorization: Basic $basic")
			code=$(curl -sS -o "$out" -w '%{http_code}' "${hdr[@]}" --data "$body" "${url[$s]}$path") || code=000
		fi
		[[ $code == 200 ]] || die "$s $t answered $code: $(head -c 400 "$out")"
		if [[ $t == introspect ]]; then
			[[ $(field "$out" active) == True ]] || die "$s introspect: inactive: $(cat "$out")"
		fi
		case $t in pk | refresh | cardcore) skip[$s-$t]=$((skip[$s-$t] + 1)) ;; esac
	done
done

declare -A dur
for t in "${targets[@]}"; do
	dur[$t]=$DURATION
	case $t in pk | refresh | cardcore) dur[$t]=$SPEND_DURATION ;; esac
done
echo "warming up ($WARMUP each, discarded) ..."
for t in "${targets[@]}"; do for s in "${stores[@]}"; do load "$s" "$t" "$WARMUP" "$tmp/warm-$s-$t.txt"; done; done
echo "measuring: $ROUNDS round(s) of ${targets[*]}, full and empty alternately; $CONNS connections, $THREADS wrk thread(s)"
broken=0
for ((r = 1; r <= ROUNDS; r++)); do
	for t in "${targets[@]}"; do
		for s in "${stores[@]}"; do
			out="$tmp/wrk-$s-$t-$r.txt"
			load "$s" "$t" "${dur[$t]}" "$out"
			read -r rps p50 p99 bad < <(parse_wrk "$out")
			printf '  round %d  %-10s %-5s %10.0f req/s  p50 %7.2f ms  p99 %7.2f ms%s\n' "$r" "$t" "$s" "$rps" "$p50" "$p99" \
				"$([[ $bad -gt 0 ]] && echo "  ($bad failed requests)")"
			[[ $bad -gt 0 ]] && broken=1
			echo "$rps $p50 $p99" >>"$tmp/results-$s-$t.txt"
		done
	done
done

# ---- phase 5: report ------------------------------------------------------------------
size_mb() {
	if [[ $STORE == postgres ]]; then
		psql "${db[$1]}" -XAtc 'SELECT round(pg_database_size(current_database()) / 1e6, 1)'
	else
		du -cb "${db[$1]}"* | awk 'END { printf "%.1f\n", $1 / 1e6 }'
	fi
}
rss_mb() { awk -v k="$2:" '$1 == k { printf "%.0f\n", $2 / 1024 }' "/proc/${pid[$1]}/status"; }
hit_rate() {
	local h m
	h=$(metric "$1" 'jeton_cache_requests_total{cache="client",result="hit"}')
	m=$(metric "$1" 'jeton_cache_requests_total{cache="client",result="miss"}')
	awk -v h="$h" -v m="$m" 'BEGIN { if (h + m == 0) print "n/a"; else printf "%.1f %% of %d\n", 100 * h / (h + m), h + m }'
}
declare -A label=([cc]="client_credentials (Zipf clients)" [pk]="private_key_jwt (Zipf clients)" [refresh]="refresh_token (random families)"
	[introspect]="introspection (opaque tokens)" [cardcore]="CardCore client_credentials")
echo
echo "scale, store $STORE; $ROUNDS rounds (median per column); $CONNS connections, $THREADS wrk thread(s)"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Go $(go env GOVERSION), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "full store loaded in $load_secs s"
printf '%-36s | %5s | %10s | %9s | %9s\n' target store "req/s" "p50 ms" "p99 ms"
printf -- '-%.0s' {1..82}
echo
declare -A m99
for t in "${targets[@]}"; do
	for s in "${stores[@]}"; do
		f="$tmp/results-$s-$t.txt"
		rps=$(awk '{print $1}' "$f" | median)
		p50=$(awk '{print $2}' "$f" | median)
		m99[$s-$t]=$(awk '{print $3}' "$f" | median)
		printf '%-36s | %5s | %10.0f | %9.2f | %9.2f\n' "${label[$t]}" "$s" "$rps" "$p50" "${m99[$s-$t]}"
	done
done
echo
echo "targets:"
for t in "${targets[@]}"; do
	ratio=$(awk -v a="${m99[full-$t]}" -v b="${m99[empty-$t]}" 'BEGIN { printf "%.2f", a / b }')
	ok=$(awk -v r="$ratio" -v m="$MAX_P99_RATIO" 'BEGIN { print (r <= m) ? "PASS" : "FAIL" }')
	printf '  %-4s %-36s p99 full / empty <= %s  (%s)\n' "$ok" "${label[$t]}" "$MAX_P99_RATIO" "$ratio"
done
if [[ -n $jan_note ]]; then
	jr=$(awk -v a="$jd_p99" -v b="$jq_p99" 'BEGIN { printf "%.2f", a / b }')
	printf '  %-4s refresh p99 during the janitor pass / after <= %s  (%s)\n' \
		"$(awk -v r="$jr" -v m="$MAX_JANITOR_P99_RATIO" 'BEGIN { print (r <= m) ? "PASS" : "FAIL" }')" "$MAX_JANITOR_P99_RATIO" "$jr"
	echo "  $jan_note"
fi
echo
for s in "${stores[@]}"; do
	printf '%-5s store: %8s MB on disk; jeton RSS %s MB (peak %s MB); client cache hit rate %s\n' \
		"$s" "$(size_mb "$s")" "$(rss_mb "$s" VmRSS)" "$(rss_mb "$s" VmHWM)" "$(hit_rate "$s")"
done
echo "total time: $((SECONDS - t_start)) s"
if [[ $broken == 1 ]]; then
	KEEP=1
	die "some requests failed (non-2xx or socket errors); the figures above are not valid"
fi
