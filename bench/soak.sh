#!/usr/bin/env bash
# Soak test (issue 15, docs/benchmarks.md "Soak"): one jeton on SQLite with the janitor
# running every JANITOR_INTERVAL, a mix of every dialect's requests (bench/soak: the
# standard client_credentials (JWT and opaque), refresh_token rotation, password,
# introspection and revocation; CardCore client_credentials and refresh with fresh
# ES256 assertions; Candescent V2 and the V1 XML endpoint; AbbeyCross), first closed
# loop to measure capacity, then at LOAD of it at a constant arrival rate for DURATION.
# It reports the server's RSS, goroutines and database size at the start, every
# SAMPLE and at the end, latency per kind, and classifies every answer that is not the
# expected success; it exits 1 if there was any. Not part of CI: it takes DURATION.
#
# Environment overrides:
#   DURATION=10m  LOAD=0.7  RATE=  (requests/s; skips the capacity run)
#   CONNS=32 (capacity run)  CAPACITY=15s  WARMUP=5s  SAMPLE=30s  MAX_IN_FLIGHT=512
#   JANITOR_INTERVAL=30s  REFRESH_IDLE_TTL=2m  OPAQUE_TTL=1m   short, so rows expire and
#                 the janitor deletes them while the soak runs
#   KEEP=1  keep the temp dir (server log, soak.json)
set -euo pipefail

DURATION=${DURATION:-10m}
LOAD=${LOAD:-0.7}
RATE=${RATE:-}
CONNS=${CONNS:-32}
CAPACITY=${CAPACITY:-15s}
WARMUP=${WARMUP:-5s}
SAMPLE=${SAMPLE:-30s}
MAX_IN_FLIGHT=${MAX_IN_FLIGHT:-512}
MAX_CONNS=${MAX_CONNS:-64}
JANITOR_INTERVAL=${JANITOR_INTERVAL:-30s}
REFRESH_IDLE_TTL=${REFRESH_IDLE_TTL:-2m}
OPAQUE_TTL=${OPAQUE_TTL:-1m}
CUSTOMERS=${CUSTOMERS:-16}
for v in DURATION CAPACITY WARMUP SAMPLE; do
	[[ ${!v} =~ ^[0-9]+$ ]] && printf -v "$v" '%ss' "${!v}"
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_tmp jeton-soak
for cmd in curl python3 openssl; do
	command -v "$cmd" >/dev/null || die "$cmd is required (Debian: apt-get install $cmd)"
done

echo "building jeton and the load generator ..."
go build -o "$tmp/jeton" ./cmd/jeton || die "jeton does not build"
go build -o "$tmp/soak" ./bench/soak || die "bench/soak does not build"

jport=$(free_port)
aport=$(free_port)
data=$tmp/data
issuer="http://127.0.0.1:$jport"
mkdir -p "$data"
"$tmp/jeton" serve --addr "127.0.0.1:$jport" --admin-addr "127.0.0.1:$aport" --data-dir "$data" \
	--janitor-interval "$JANITOR_INTERVAL" --refresh-idle-ttl "$REFRESH_IDLE_TTL" --log-level warn >"$tmp/jeton.log" 2>&1 &
jeton_pid=$!
pids+=("$jeton_pid")
wait_http "$issuer/readyz" "$jeton_pid" || die "jeton did not become ready: $(tail -n 20 "$tmp/jeton.log")"

# ---- clients, a customer and a CardCore application -------------------------------------
cli() { "$tmp/jeton" "$@" --data-dir "$data" -o json; }
client() { # client FILE NAME [flags...]
	local out=$1 name=$2
	shift 2
	cli client create --institution "$inst" --name "$name" --scope accounts:read "$@" >"$out" || die "client create $name failed"
}
cli institution create --name "Soak Bank" >"$tmp/inst.json" || die "institution create failed"
inst=$(field "$tmp/inst.json" id)
cli institution update "$inst" --alias 01234 --candescent-v1 on >/dev/null || die "institution update failed"
cli institution hours set "$inst" --tz Europe/London --window "Mon-Sun 00:00-24:00" >/dev/null || die "hours set failed"
client "$tmp/main.json" main --grant client_credentials,password,refresh_token --auth-method client_secret_basic --access-ttl 5m
client "$tmp/opaque.json" opaque --grant client_credentials --token-format opaque --access-ttl "$OPAQUE_TTL"
client "$tmp/post.json" abbeycross --grant client_credentials --auth-method client_secret_post
password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
for ((i = 1; i <= CUSTOMERS; i++)); do
	printf '%s\n' "$password" | cli customer create --institution "$inst" --username "soak-user-$i" >/dev/null 2>"$tmp/customer.err" ||
		die "customer create: $(cat "$tmp/customer.err")"
done

openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$tmp/cardcore-key.pem"
openssl pkey -in "$tmp/cardcore-key.pem" -pubout -out "$tmp/cardcore-pub.pem" 2>/dev/null
cli institution key create "$inst" >"$tmp/ikey.json" || die "institution key create failed"
website="https://fintech.example"
python3 - "$tmp/cardcore-pub.pem" "$website" >"$tmp/app-body.json" <<'PY'
import json, sys
print(json.dumps({"name": "Soak app", "description": "soak", "publicKey": open(sys.argv[1]).read(),
    "scopes": ["READ"], "grantType": "client_credentials", "websiteUrl": sys.argv[2],
    "iconUrl": sys.argv[2] + "/icon.png", "isOfficial": False}))
PY
code=$(curl -sS -o "$tmp/app.json" -w '%{http_code}' -H "Authorization: Bearer $(field "$tmp/ikey.json" key)" \
	-H 'Content-Type: application/json' --data @"$tmp/app-body.json" "$issuer/cardcore/institutions/oauth/create") || code=000
[[ $code == 201 ]] || die "CardCore application create answered $code: $(cat "$tmp/app.json")"

python3 - "$tmp" "$issuer" "$inst" "$password" "$website" "$CUSTOMERS" >"$tmp/soak.json" <<'PY'
import json, sys
tmp, base, inst, password, website, customers = sys.argv[1:]
load = lambda n: json.load(open(f"{tmp}/{n}.json"))
sec = lambda c: {"client_id": c["client_id"], "client_secret": c["client_secret"]}
app = load("app")["data"]
print(json.dumps({"base": base, "institution": inst, "alias": "01234",
    "main": sec(load("main")), "opaque": sec(load("opaque")), "post": sec(load("post")),
    "usernames": [f"soak-user-{i}" for i in range(1, int(customers) + 1)], "password": password,
    "cardcore": {"client_id": app["clientId"], "app_key": app["institutionId"], "website": website,
                 "key_file": f"{tmp}/cardcore-key.pem"}}))
PY

# ---- the soak ----------------------------------------------------------------------------
echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Go $(go env GOVERSION), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "jeton: SQLite, --janitor-interval $JANITOR_INTERVAL, --refresh-idle-ttl $REFRESH_IDLE_TTL, opaque tokens live $OPAQUE_TTL"
rate_args=()
[[ -n $RATE ]] && rate_args=(-rate "$RATE")
status=0
"$tmp/soak" -setup "$tmp/soak.json" -pid "$jeton_pid" -metrics "http://127.0.0.1:$aport/metrics" -db "$data/jeton.db" \
	-conns "$CONNS" -warmup "$WARMUP" -capacity "$CAPACITY" -load "$LOAD" -duration "$DURATION" -sample "$SAMPLE" \
	-max-in-flight "$MAX_IN_FLIGHT" -max-conns "$MAX_CONNS" "${rate_args[@]}" || status=$?
kill -0 "$jeton_pid" 2>/dev/null || { KEEP=1; die "jeton exited during the soak: $(tail -n 20 "$tmp/jeton.log")"; }
errors=$(grep -c -E 'level=ERROR|"level":"ERROR"' "$tmp/jeton.log" || true)
echo "server log: $errors ERROR line(s)$([[ $errors -gt 0 ]] && echo "; first: $(grep -m1 -E 'level=ERROR|"level":"ERROR"' "$tmp/jeton.log")")"
if [[ $status -ne 0 || $errors -gt 0 ]]; then
	KEEP=1
	die "the soak failed (unexpected answers or server errors); kept $tmp"
fi
echo "soak: PASS"
