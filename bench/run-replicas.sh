#!/usr/bin/env bash
# Replicas on one PostgreSQL (issue 15, "Speed"): the throughput of 1, 2 and 3 jeton
# replicas for client_credentials (JWT, client_secret_basic) and refresh_token, and the
# database round trips each kind of request makes.
#
# Throughput: N replicas are driven by N wrk processes at once, wrk i against replica
# i, sharing CONNS connections (what a load balancer in front of them would spread).
# The N settings alternate round by round. On a small machine the load generators and
# every replica share the same cores, so the sum stops growing once they are busy:
# the run says so when it sees it, and the round trips are then the figure that
# tells what each replica asks of the database.
#
# Round trips: one more replica (D) connects through bench/pgcount, a proxy that
# counts, on the wire, every message after which a client waits for PostgreSQL (Sync,
# simple Query). D runs alone with its background work (key reload, janitor) set to
# an hour, and each kind of request runs for COUNT_DURATION after a warm-up: round
# trips / answered requests. Kinds: JWT client_credentials with a secret, opaque
# client_credentials, private_key_jwt client_credentials (RS256), refresh_token.
#
# Needs a PostgreSQL server on which it may create (and drops) a database:
#   PG=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable (the default)
# Environment overrides: CONNS=16 THREADS=1 DURATION=10s ROUNDS=2 WARMUP=3s
#   COUNT_DURATION=5s REFRESH_TOKENS=100000 (refresh families for the throughput runs)
#   KEEP=1 (keep the temp dir; the database is dropped regardless)
set -euo pipefail

PG=${PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
COUNT_DURATION=${COUNT_DURATION:-5s}
REFRESH_TOKENS=${REFRESH_TOKENS:-100000}
COUNT_TOKENS=20000
ISSUER=http://jeton.bench # every replica is this one issuer behind a load balancer

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-3s}
bench_settings
[[ $COUNT_DURATION =~ ^[0-9]+$ ]] && COUNT_DURATION="${COUNT_DURATION}s"
bench_tmp jeton-replicas

command -v wrk >/dev/null || die "wrk is required (Debian: apt-get install wrk); bench/run.sh installs it"
command -v psql >/dev/null || die "psql is required (it creates and drops the benchmark's database)"

# ---- the database --------------------------------------------------------------------
db=jeton_bench_replicas_$$
# with_db URL NAME [HOST PORT]: URL naming database NAME (and another host and port).
with_db() {
	python3 - "$@" <<'EOF'
import sys, urllib.parse as u
url, name = sys.argv[1], sys.argv[2]
p = u.urlsplit(url)
netloc = p.netloc
if len(sys.argv) > 3:
    user = netloc.rsplit("@", 1)[0] + "@" if "@" in netloc else ""
    netloc = f"{user}{sys.argv[3]}:{sys.argv[4]}"
q = dict(u.parse_qsl(p.query))
q["sslmode"] = "disable"
print(u.urlunsplit((p.scheme, netloc, "/" + name, u.urlencode(q), "")))
EOF
}
psql -q "$PG" -c "CREATE DATABASE $db" || die "cannot create database $db on $PG"
drop_db() { psql -q "$PG" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || echo "bench: could not drop database $db" >&2; }
trap 'bench_cleanup; drop_db' EXIT
dsn=$(with_db "$PG" "$db")

echo "building jeton, bench/seed and bench/pgcount ..."
go build -o "$tmp/jeton" ./cmd/jeton || die "jeton does not build"
go build -o "$tmp/seed" ./bench/seed || die "bench/seed does not build"
go build -o "$tmp/pgcount" ./bench/pgcount || die "bench/pgcount does not build"
"$tmp/jeton" migrate --database "$dsn" >/dev/null 2>&1 || die "migrate failed"

# ---- seeded refresh families (the refresh client, its institution and customer) -------
echo "seeding $REFRESH_TOKENS + $COUNT_TOKENS refresh families ..."
"$tmp/seed" refresh -db "$dsn" -n "$REFRESH_TOKENS" -tokens "$tmp/refresh.txt" -out "$tmp/refresh.json" 2>"$tmp/seed.log" ||
	die "seed refresh failed: $(cat "$tmp/seed.log")"
"$tmp/seed" refresh -db "$dsn" -reuse -n "$COUNT_TOKENS" -tokens "$tmp/refresh-count.txt" -out "$tmp/refresh.json" 2>>"$tmp/seed.log" ||
	die "seed refresh failed: $(cat "$tmp/seed.log")"
sed 's/^/  /' "$tmp/seed.log"
(cd "$tmp" && split -n l/3 -d -a 1 refresh.txt refresh-) # refresh-0..2, one per wrk slot
basic_of() {
	python3 -c 'import base64, sys, urllib.parse as u; print(base64.b64encode((u.quote_plus(sys.argv[1]) + ":" + u.quote_plus(sys.argv[2])).encode()).decode())' "$1" "$2"
}
ref_basic=$(basic_of "$(field "$tmp/refresh.json" client_id)" "$(field "$tmp/refresh.json" client_secret)")
ref_form="grant_type=refresh_token&refresh_token="

# ---- replicas -------------------------------------------------------------------------
export JETON_KEK
JETON_KEK=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
declare -A base
# start_replica NAME DSN [flags...]: a replica with its own data dir; sets base[NAME].
start_replica() {
	local name=$1 d=$2 jport aport pid
	shift 2
	jport=$(free_port)
	aport=$(free_port)
	mkdir -p "$tmp/$name"
	"$tmp/jeton" serve --addr "127.0.0.1:$jport" --admin-addr "127.0.0.1:$aport" --data-dir "$tmp/$name" \
		--database "$d" --issuer "$ISSUER" --log-level warn "$@" >"$tmp/$name.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	base[$name]="http://127.0.0.1:$jport"
	wait_http "${base[$name]}/readyz" "$pid" || die "replica $name did not become ready: $(tail -n 20 "$tmp/$name.log")"
}
for r in 0 1 2; do start_replica "$r" "$dsn"; done
cli() { "$tmp/jeton" "$@" --data-dir "$tmp/0" -o json; }
inst=$(field "$tmp/refresh.json" institution_id)
cli client create --institution "$inst" --name cc --grant client_credentials --scope accounts:read >"$tmp/cc.json" ||
	die "client create failed"
cc_basic=$(basic_of "$(field "$tmp/cc.json" client_id)" "$(field "$tmp/cc.json" client_secret)")

# ---- one answer of each from every replica -------------------------------------------
check() { # check URL BASIC BODY
	local code
	code=$(curl -sS -o "$tmp/check.json" -w '%{http_code}' -H "Authorization: Basic $2" --data "$3" "$1") || code=000
	[[ $code == 200 ]] || die "$1 answered $code: $(head -c 300 "$tmp/check.json")"
}
declare -A skip=([0]=0 [1]=0 [2]=0)
for r in 0 1 2; do
	check "${base[$r]}/oauth2/token" "$cc_basic" "grant_type=client_credentials"
	check "${base[$r]}/oauth2/token" "$ref_basic" "$ref_form$(sed -n "$((skip[$r] + 1))p" "$tmp/refresh-$r")"
	skip[$r]=$((skip[$r] + 1))
done

# ---- throughput of 1, 2, 3 replicas ---------------------------------------------------
# run_n KIND N DURATION OUT: N wrk at once, wrk i against replica i with CONNS/N
# connections; appends "rps p99 failed" (summed rates, worst p99) to OUT.
run_n() {
	local kind=$1 n=$2 d=$3 out=$4 c=$((CONNS / $2)) i wp=() f rps=0 p99=0 bad=0 r p b
	for ((i = 0; i < n; i++)); do
		f="$tmp/wrk-$kind-$n-$i.txt"
		if [[ $kind == cc ]]; then
			BENCH_BASIC=$cc_basic wrk --latency -c "$c" -t "$THREADS" -d "$d" -s "$root/bench/token.lua" "${base[$i]}" >"$f" 2>&1 &
		else
			BENCH_LINES="$tmp/refresh-$i" BENCH_SKIP=${skip[$i]} BENCH_PREFIX=$ref_form BENCH_BASIC=$ref_basic BENCH_THREADS=$THREADS \
				wrk --latency -c "$c" -t "$THREADS" -d "$d" -s "$root/bench/lines.lua" "${base[$i]}/oauth2/token" >"$f" 2>&1 &
		fi
		wp+=($!)
	done
	for p in "${wp[@]}"; do wait "$p" || die "wrk failed: $(cat "$tmp"/wrk-"$kind"-"$n"-*.txt)"; done
	for ((i = 0; i < n; i++)); do
		f="$tmp/wrk-$kind-$n-$i.txt"
		read -r r _ p b < <(parse_wrk "$f")
		rps=$(awk -v a="$rps" -v b="$r" 'BEGIN {print a + b}')
		p99=$(awk -v a="$p99" -v b="$p" 'BEGIN {print (b > a) ? b : a}')
		bad=$((bad + b))
		if [[ $kind == refresh ]]; then
			skip[$i]=$((skip[$i] + $(awk '/^LINES / { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "used") print kv[2] } }' "$f")))
			grep -q 'exhausted=1' "$f" && echo "  (wrk $i ran out of refresh tokens: raise REFRESH_TOKENS)"
		fi
	done
	echo "$rps $p99 $bad" >>"$out"
}

echo "warming up ($WARMUP each, discarded) ..."
for n in 1 2 3; do
	run_n cc "$n" "$WARMUP" "$tmp/warmup.txt"
	run_n refresh "$n" "$WARMUP" "$tmp/warmup.txt"
done
echo "measuring: $ROUNDS round(s) of 1, 2, 3 replicas x client_credentials, refresh_token; $CONNS connections in all, $DURATION each"
broken=0
for ((round = 1; round <= ROUNDS; round++)); do
	for n in 1 2 3; do
		for kind in cc refresh; do
			run_n "$kind" "$n" "$DURATION" "$tmp/results-$kind-$n.txt"
			read -r rps p99 bad < <(tail -n 1 "$tmp/results-$kind-$n.txt")
			printf '  round %d  %d replica(s)  %-8s %10.0f req/s  p99 %7.2f ms%s\n' "$round" "$n" "$kind" "$rps" "$p99" \
				"$([[ $bad -gt 0 ]] && echo "  ($bad failed requests)")"
			[[ $bad -gt 0 ]] && broken=1
		done
	done
done
for r in 0 1 2; do kill "${pids[$r]}"; done

# ---- round trips per request (replica D through the counting proxy) ------------------
cport=$(free_port)
hport=$(free_port)
pg_host=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print("%s:%d" % (p.hostname or "127.0.0.1", p.port or 5432))' "$PG")
"$tmp/pgcount" -listen "127.0.0.1:$cport" -target "$pg_host" -http "127.0.0.1:$hport" >"$tmp/pgcount.log" 2>&1 &
pcpid=$!
pids+=("$pcpid")
wait_port "$hport" "$pcpid" || die "pgcount did not start: $(cat "$tmp/pgcount.log")"
start_replica d "$(with_db "$PG" "$db" 127.0.0.1 "$cport")" --key-reload-interval 1h --janitor-interval 1h
cli() { "$tmp/jeton" "$@" --data-dir "$tmp/d" -o json; }
cli client create --institution "$inst" --name opaque --grant client_credentials --scope accounts:read --token-format opaque \
	>"$tmp/opaque.json" || die "client create failed"
op_basic=$(basic_of "$(field "$tmp/opaque.json" client_id)" "$(field "$tmp/opaque.json" client_secret)")
"$tmp/seed" keygen -priv "$tmp/pk-key.pem" -pub "$tmp/pk-pub.pem" || die "seed keygen failed"
cli client create --institution "$inst" --name pk --grant client_credentials --scope accounts:read \
	--auth-method private_key_jwt --public-key "$tmp/pk-pub.pem" >"$tmp/pk.json" || die "client create failed"
"$tmp/seed" assertions -key "$tmp/pk-key.pem" -client-id "$(field "$tmp/pk.json" client_id)" -aud "$ISSUER/oauth2/token" \
	-n 10000 -out "$tmp/pk.txt" 2>"$tmp/seed-pk.log" || die "seed assertions failed: $(cat "$tmp/seed-pk.log")"
pk_form="grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion="

trips() { curl -fsS "http://127.0.0.1:$hport/" | python3 -c 'import json, sys; print(json.load(sys.stdin)["round_trips"])'; }
declare -A pk_skip=([n]=0) rc_skip=([n]=0)
# count_run KIND DURATION OUT: one wrk run of KIND against D with 4 connections.
count_run() {
	local kind=$1 d=$2 f=$3 url=${base[d]}
	case $kind in
	cc) BENCH_BASIC=$cc_basic wrk --latency -c 4 -t 1 -d "$d" -s "$root/bench/token.lua" "$url" >"$f" 2>&1 ;;
	opaque) BENCH_BASIC=$op_basic wrk --latency -c 4 -t 1 -d "$d" -s "$root/bench/token.lua" "$url" >"$f" 2>&1 ;;
	pk) BENCH_LINES="$tmp/pk.txt" BENCH_SKIP=${pk_skip[n]} BENCH_PREFIX=$pk_form \
		wrk --latency -c 4 -t 1 -d "$d" -s "$root/bench/lines.lua" "$url/oauth2/token" >"$f" 2>&1 ;;
	refresh) BENCH_LINES="$tmp/refresh-count.txt" BENCH_SKIP=${rc_skip[n]} BENCH_PREFIX=$ref_form BENCH_BASIC=$ref_basic \
		wrk --latency -c 4 -t 1 -d "$d" -s "$root/bench/lines.lua" "$url/oauth2/token" >"$f" 2>&1 ;;
	esac || die "$kind: wrk failed: $(cat "$f")"
	local used
	used=$(awk '/^LINES / { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "used") print kv[2] } }' "$f")
	[[ $kind == pk ]] && pk_skip[n]=$((pk_skip[n] + used))
	[[ $kind == refresh ]] && rc_skip[n]=$((rc_skip[n] + used))
	return 0
}
echo "round trips: replica D through bench/pgcount; ${COUNT_DURATION} of each kind after a 1 s warm-up"
t0=$(trips)
sleep 2
idle=$(($(trips) - t0))
declare -A rt
for kind in cc opaque pk refresh; do
	count_run "$kind" 1s "$tmp/count-warm-$kind.txt"
	t0=$(trips)
	count_run "$kind" "$COUNT_DURATION" "$tmp/count-$kind.txt"
	t1=$(trips)
	total=$(awk '/requests in/ {print $1}' "$tmp/count-$kind.txt")
	read -r _ _ _ bad < <(parse_wrk "$tmp/count-$kind.txt")
	[[ $bad -gt 0 ]] && die "$kind: $bad failed requests: $(cat "$tmp/count-$kind.txt")"
	rt[$kind]=$(awk -v t=$((t1 - t0)) -v n="$total" 'BEGIN {printf "%.3f", t / n}')
	printf '  %-8s %7d requests, %8d round trips: %s per request\n' "$kind" "$total" $((t1 - t0)) "${rt[$kind]}"
done

# ---- report ---------------------------------------------------------------------------
echo
echo "replicas on one PostgreSQL, $CONNS connections in all, $THREADS wrk thread(s) per wrk, $DURATION x $ROUNDS rounds (median)"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Go $(go env GOVERSION), load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s | %-18s | %10s | %9s\n' replicas kind "req/s" "p99 ms"
printf '%-10s-+-%-18s-+-%10s-+-%9s\n' ---------- ------------------ ---------- ---------
declare -A m
for kind in cc refresh; do
	for n in 1 2 3; do
		m[$kind$n]=$(awk '{print $1}' "$tmp/results-$kind-$n.txt" | median)
		p99=$(awk '{print $2}' "$tmp/results-$kind-$n.txt" | median)
		label=client_credentials
		[[ $kind == refresh ]] && label=refresh_token
		printf '%-10s | %-18s | %10.0f | %9.2f\n' "$n" "$label" "${m[$kind$n]}" "$p99"
	done
done
echo
echo "database round trips per request (target: 0 for JWT client_credentials with a secret, 1 for private_key_jwt and refresh_token):"
printf '  client_credentials, JWT, client_secret_basic  %s\n' "${rt[cc]}"
printf '  client_credentials, opaque                    %s\n' "${rt[opaque]}"
printf '  client_credentials, private_key_jwt (RS256)   %s\n' "${rt[pk]}"
printf '  refresh_token                                 %s\n' "${rt[refresh]}"
echo "  (replica D idle for 2 s: $idle round trips)"
for kind in cc refresh; do
	if awk -v a="${m[${kind}3]}" -v b="${m[${kind}1]}" 'BEGIN {exit !(a < 1.2 * b)}'; then
		echo "note: $kind with 3 replicas is less than 1.2x one replica: the machine's $(nproc) CPUs, shared by the replicas and the load generators, are the limit, not the database"
	fi
done
if [[ $broken == 1 ]]; then
	KEEP=1
	die "some requests failed (non-2xx or socket errors); the figures above are not valid"
fi
