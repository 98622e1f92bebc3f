#!/usr/bin/env bash
# Two builds of jeton against the baseline: client_credentials on jeton built from a
# git ref (BASE, default main) and on jeton built from this working tree, alternating
# with the bare baseline in one run, so that the machine's drift cannot fake or hide
# the difference between them. Target: the working tree's ratio to the baseline is
# within 0.03 of the base's (e.g. a change on the request path, such as the metrics).
#
# A report, not a gate: it exits 0 whether the target passes or fails, non-zero only
# when something broke. Environment overrides: BASE=main CONNS=16 THREADS=1
# DURATION=20s ROUNDS=3 WARMUP=5s KEEP=1 JETON_ARGS="..." (serve flags for both)
set -euo pipefail

MAX_DROP=0.03
BASE=${BASE:-main}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_settings
bench_tmp jeton-bench-ab

for cmd in wrk curl python3 git; do
	command -v "$cmd" >/dev/null || die "$cmd is required (Debian: apt-get install $cmd; bench/run.sh installs wrk)"
done

echo "building jeton at $BASE ($(git rev-parse --short "$BASE")), jeton from the working tree and the baseline ..."
mkdir -p "$tmp/base-src"
git archive "$BASE" | tar -x -C "$tmp/base-src" || die "cannot export $BASE"
(cd "$tmp/base-src" && go build -o "$tmp/jeton-base" ./cmd/jeton) || die "jeton at $BASE does not build"
go build -o "$tmp/jeton" ./cmd/jeton || die "jeton does not build"
go build -o "$tmp/baseline" ./bench/baseline || die "the baseline does not build"

declare -A url basic
# shellcheck disable=SC2086 # JETON_ARGS is a list of flags
JETON_BIN="$tmp/jeton-base" ab_start base http ${JETON_ARGS:-}
# shellcheck disable=SC2086
ab_start tree http ${JETON_ARGS:-}
bport=$(free_port)
"$tmp/baseline" -addr "127.0.0.1:$bport" -client-id "$(field "$tmp/tree-client.json" client_id)" \
	-client-secret "$(field "$tmp/tree-client.json" client_secret)" >"$tmp/baseline.log" 2>&1 &
pids+=("$!")
url[baseline]="http://127.0.0.1:$bport/oauth2/token"
basic[baseline]=${basic[tree]}
wait_port "$bport" "${pids[-1]}" || die "baseline did not start: $(tail -n 20 "$tmp/baseline.log")"
targets=(baseline base tree)
ab_check

ab_measure

declare -A m_rps
ab_report
read -r b t drop ok < <(awk -v bl="${m_rps[baseline]}" -v x="${m_rps[base]}" -v y="${m_rps[tree]}" -v m="$MAX_DROP" \
	'BEGIN {b = x / bl; t = y / bl; d = b - t; printf "%.3f %.3f %.3f %s\n", b, t, d, (d < m) ? "PASS" : "FAIL"}')
echo
echo "ratio to the baseline: $BASE $b, working tree $t"
printf '  %-4s ratio drop of the working tree < %s (%s)\n' "$ok" "$MAX_DROP" "$drop"
ab_valid
