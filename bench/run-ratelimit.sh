#!/usr/bin/env bash
# Rate-limit cost benchmark: client_credentials on jeton with its rate limits on (the
# defaults) against the same build with the per-address and per-client budgets off,
# and the bare baseline, alternating in one run so that the machine's drift cannot fake
# or hide the difference. Target: the ratio to the baseline drops by less than 0.03
# with the limits on (docs/benchmarks.md, docs/rate-limits.md).
#
# A report, not a gate: it exits 0 whether the target passes or fails, non-zero only
# when something broke. Environment overrides: CONNS=16 THREADS=1 DURATION=20s
# ROUNDS=3 WARMUP=5s KEEP=1
set -euo pipefail

MAX_DROP=0.03

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_settings
bench_tmp jeton-bench-ratelimit

for cmd in wrk curl python3; do
	command -v "$cmd" >/dev/null || die "$cmd is required (Debian: apt-get install $cmd; bench/run.sh installs wrk)"
done

echo "building jeton and the baseline ..."
go build -o "$tmp/jeton" ./cmd/jeton || die "jeton does not build"
go build -o "$tmp/baseline" ./bench/baseline || die "the baseline does not build"

declare -A url basic
ab_start limits_on http
ab_start limits_off http --ratelimit-address 0 --ratelimit-client 0
# The baseline takes the credentials of limits_on's client (bench/baseline: flags).
bport=$(free_port)
"$tmp/baseline" -addr "127.0.0.1:$bport" -client-id "$(field "$tmp/limits_on-client.json" client_id)" \
	-client-secret "$(field "$tmp/limits_on-client.json" client_secret)" >"$tmp/baseline.log" 2>&1 &
pids+=("$!")
url[baseline]="http://127.0.0.1:$bport/oauth2/token"
basic[baseline]=${basic[limits_on]}
wait_port "$bport" "${pids[-1]}" || die "baseline did not start: $(tail -n 20 "$tmp/baseline.log")"
targets=(baseline limits_on limits_off)
ab_check

ab_measure

declare -A m_rps
ab_report
read -r on off drop ok < <(awk -v b="${m_rps[baseline]}" -v n="${m_rps[limits_on]}" -v f="${m_rps[limits_off]}" -v m="$MAX_DROP" \
	'BEGIN {on = n / b; off = f / b; d = off - on; printf "%.3f %.3f %.3f %s\n", on, off, d, (d < m) ? "PASS" : "FAIL"}')
echo
echo "ratio to the baseline: limits on $on, limits off $off"
printf '  %-4s ratio drop with the limits on < %s (%s)\n' "$ok" "$MAX_DROP" "$drop"
ab_valid
