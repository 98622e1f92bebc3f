# Helpers shared by the bench/run*.sh scripts (sourced, not run).

# bench_tmp NAME makes the run's temp dir ($tmp) and the list of processes it starts
# ($pids); on exit those are killed and the dir removed (kept with KEEP=1).
bench_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	pids=()
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	bench_db_drop
	if [[ -n ${KEEP:-} ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}

# bench_db DATADIR picks the store jeton runs on, from STORE: sqlite (the default, the
# file DATADIR/jeton.db) or postgres (a fresh database on the server PG_URL names,
# default the local one with trust authentication, made here and dropped on exit by
# bench_db_drop). It sets store_args (the serve flags), db_target (what bench/seed's
# -db takes) and store_label.
bench_db() {
	STORE=${STORE:-sqlite}
	case $STORE in
	sqlite)
		store_args=()
		db_target="$1/jeton.db"
		store_label=SQLite
		;;
	postgres)
		command -v psql >/dev/null || die "STORE=postgres needs psql (Debian: apt-get install postgresql-client)"
		PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
		pg_db="jeton_bench_$$_$RANDOM"
		psql "$PG_URL" -qc "CREATE DATABASE $pg_db" >/dev/null || die "could not create database $pg_db on $PG_URL"
		db_target=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$PG_URL" "$pg_db")
		store_args=(--database "$db_target" --migrate)
		store_label="PostgreSQL ($(psql "$PG_URL" -XAtc 'SHOW server_version' 2>/dev/null || echo '?'))"
		;;
	*) die "STORE must be sqlite or postgres, got $STORE" ;;
	esac
}

# bench_db_drop drops the database bench_db made, if any.
bench_db_drop() {
	if [[ -n ${pg_db:-} ]]; then
		psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
		pg_db=""
	fi
}

# field FILE KEY prints a top-level field of a JSON object.
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

die() {
	echo "bench: $*" >&2
	exit 1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL PID waits up to 30 s for URL to answer 2xx while PID lives.
wait_http() {
	local url=$1 pid=$2 i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_port PORT PID waits up to 30 s for a listener on 127.0.0.1:PORT.
wait_port() {
	local port=$1 pid=$2 i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# median of the numbers on stdin (mean of the middle two for an even count).
median() {
	sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2
	}'
}

# parse_wrk FILE prints "rps p50_ms p99_ms non2xx". A lines.lua run that ran out of
# lines reports its own rate (LINES ... rate=); wrk's Requests/sec would count the idle
# rest of the run.
parse_wrk() {
	awk '
	function ms(v) {
		if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
		if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
		if (v ~ /m$/)  return substr(v, 1, length(v) - 1) * 60000
		if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
		return v + 0
	}
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/Non-2xx or 3xx responses:/ { bad += $NF }
	/Socket errors:/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { v = $i; sub(/,/, "", v); bad += v }
	}
	/^LINES / {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); L[kv[1]] = kv[2] }
		if (L["exhausted"] == 1) rps = L["rate"]
	}
	END { printf "%s %.3f %.3f %d\n", rps, p50, p99, bad }
	' "$1"
}

# bench_settings reads the wrk settings a script shares with the others from the
# environment (CONNS=16 THREADS=1 DURATION=20s ROUNDS=3 WARMUP=5s KEEP=); a bare
# number of seconds is accepted for DURATION and WARMUP.
bench_settings() {
	CONNS=${CONNS:-16}
	THREADS=${THREADS:-1}
	DURATION=${DURATION:-20s}
	ROUNDS=${ROUNDS:-3}
	WARMUP=${WARMUP:-5s}
	KEEP=${KEEP:-}
	[[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
	[[ $WARMUP =~ ^[0-9]+$ ]] && WARMUP="${WARMUP}s"
	return 0
}

# record_round ROUND NAME WRKFILE prints one round's line and appends "rps p50 p99"
# to $tmp/results-NAME.txt; it sets broken=1 when requests failed.
record_round() {
	local rps p50 p99 bad
	read -r rps p50 p99 bad < <(parse_wrk "$3")
	printf '  round %d  %-9s %10s req/s  p50 %7.2f ms  p99 %7.2f ms%s\n' \
		"$1" "$2" "$rps" "$p50" "$p99" "$([[ $bad -gt 0 ]] && echo "  ($bad failed requests)")"
	echo "$rps $p50 $p99" >>"$tmp/results-$2.txt"
	if [[ $bad -gt 0 ]]; then broken=1; fi
	return 0
}

# report_medians NAME... prints a table of the median req/s, p50 and p99 of each
# target's rounds and sets m_rps[NAME] (declare -A m_rps first).
report_medians() {
	local t p50 p99
	printf '%-9s | %10s | %9s | %9s\n' target "req/s" "p50 ms" "p99 ms"
	printf '%-9s-+-%10s-+-%9s-+-%9s\n' --------- ---------- --------- ---------
	for t in "$@"; do
		m_rps[$t]=$(awk '{print $1}' "$tmp/results-$t.txt" | median)
		p50=$(awk '{print $2}' "$tmp/results-$t.txt" | median)
		p99=$(awk '{print $3}' "$tmp/results-$t.txt" | median)
		printf '%-9s | %10.0f | %9.2f | %9.2f\n' "$t" "${m_rps[$t]}" "$p50" "$p99"
	done
}

# Two or more jeton servers from one build, measured alternately (run-tls.sh,
# run-ratelimit.sh): the caller builds "$tmp/jeton", starts each with ab_start, sets
# targets=(NAME ...) and calls ab_measure. The caller declares the associative arrays
# (declare -A url basic): other scripts use plain variables of those names.
# ab_start NAME SCHEME [serve flags...]: a jeton with its own data dir and one
# client_secret_basic client; sets url[NAME] and basic[NAME]. It runs $tmp/jeton, or
# the binary JETON_BIN names (run-ab.sh: two builds).
ab_start() {
	local name=$1 scheme=$2 jport aport pid bin=${JETON_BIN:-$tmp/jeton}
	shift 2
	jport=$(free_port)
	aport=$(free_port)
	mkdir -p "$tmp/$name"
	"$bin" serve --addr "127.0.0.1:$jport" --admin-addr "127.0.0.1:$aport" \
		--data-dir "$tmp/$name" --log-level warn "$@" >"$tmp/$name.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	url[$name]="$scheme://127.0.0.1:$jport/oauth2/token"
	wait_http "$scheme://127.0.0.1:$jport/readyz" "$pid" || die "$name did not become ready: $(tail -n 20 "$tmp/$name.log")"
	"$bin" institution create --data-dir "$tmp/$name" --name Bench -o json >"$tmp/$name-inst.json" ||
		die "$name: institution create failed"
	"$bin" client create --data-dir "$tmp/$name" --institution "$(field "$tmp/$name-inst.json" id)" --name bench \
		--grant client_credentials --auth-method client_secret_basic --scope accounts:read \
		-o json >"$tmp/$name-client.json" || die "$name: client create failed"
	basic[$name]=$(python3 -c 'import base64, json, sys, urllib.parse as u; c = json.load(open(sys.argv[1])); print(base64.b64encode((u.quote_plus(c["client_id"]) + ":" + u.quote_plus(c["client_secret"])).encode()).decode())' "$tmp/$name-client.json")
}
ab_run() { # ab_run NAME DURATION OUTFILE
	BENCH_BASIC=${basic[$1]} wrk --latency -c "$CONNS" -t "$THREADS" -d "$2" \
		-s "$root/bench/token.lua" "${url[$1]%/oauth2/token}" >"$3" 2>&1 || die "$1: wrk failed: $(cat "$3")"
}

# ab_measure: warm every target up, then ROUNDS rounds alternating the targets.
ab_measure() {
	echo "warming up ($WARMUP each, discarded) ..."
	for t in "${targets[@]}"; do ab_run "$t" "$WARMUP" "$tmp/warmup-$t.txt"; done

	echo "measuring: wrk --latency -c $CONNS -t $THREADS -d $DURATION, keep-alive, $ROUNDS round(s), alternating ${targets[*]}"
	broken=0
	for ((r = 1; r <= ROUNDS; r++)); do
		for t in "${targets[@]}"; do
			ab_run "$t" "$DURATION" "$tmp/wrk-$t-$r.txt"
			record_round "$r" "$t" "$tmp/wrk-$t-$r.txt"
		done
	done
}

# ab_check: one token from every target, or die.
ab_check() {
	for t in "${targets[@]}"; do
		code=$(curl -sS -o "$tmp/check-$t.json" -w '%{http_code}' -H "Authorization: Basic ${basic[$t]}" \
			-d grant_type=client_credentials -d scope=accounts:read "${url[$t]}") || die "$t: request failed"
		[[ $code == 200 ]] || die "$t answered $code: $(head -c 300 "$tmp/check-$t.json")"
	done
}

# ab_report: the run's settings, the machine and each target's medians (into m_rps,
# which the caller declares: declare -A m_rps).
ab_report() {
	echo
	echo "client_credentials, $CONNS connections, $THREADS wrk threads, $DURATION x $ROUNDS rounds (median per column)"
	echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Go $(go env GOVERSION), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	report_medians "${targets[@]}"
}

# ab_valid: die, keeping the temp dir, when a round had failed requests.
ab_valid() {
	if [[ $broken == 1 ]]; then
		KEEP=1
		die "some requests failed (non-2xx or socket errors); the figures above are not valid"
	fi
}
