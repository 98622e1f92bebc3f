#!/usr/bin/env bash
# HTTPS benchmark (issue 14): client_credentials over HTTPS against the same server
# over plain HTTP, both with keep-alive (wrk keeps its connections open, so the TLS
# handshake is paid once per connection and the figure is the per-request cost of
# TLS: record encryption and decryption).
#
# Starts jeton twice from the same build, one with --tls-cert/--tls-key (a fresh
# ECDSA P-256 certificate from openssl) and one without, each with its own data dir
# and client, warms both up, then drives them alternately (http, https, http, ...)
# with the same wrk settings and reports the medians and the ratio https/http. A
# report, not a gate: it exits 0 whether the target passes or fails, non-zero only
# when something broke.
#
# Environment overrides: CONNS=16 THREADS=1 DURATION=20s ROUNDS=3 WARMUP=5s KEEP=1
set -euo pipefail

MIN_RATIO=0.8 # issue 14: HTTPS throughput >= 0.8 x plain HTTP, keep-alive

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_settings
bench_tmp jeton-bench-tls

for cmd in wrk curl python3 openssl; do
	command -v "$cmd" >/dev/null || die "$cmd is required (Debian: apt-get install $cmd; bench/run.sh installs wrk)"
done

echo "building jeton ..."
go build -o "$tmp/jeton" ./cmd/jeton || die "jeton does not build"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/tls.key" -out "$tmp/tls.crt" >"$tmp/openssl.log" 2>&1 ||
	die "openssl: $(cat "$tmp/openssl.log")"

# curl checks the certificate against the one made above, so the https server is
# really serving it; wrk (OpenSSL) does not verify.
export CURL_CA_BUNDLE="$tmp/tls.crt"
declare -A url basic
ab_start http http
ab_start https https --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key"
targets=(http https)

ab_check
tlsinfo=$(curl -sS -o /dev/null -w '%{ssl_verify_result}' "${url[https]%/oauth2/token}/healthz")
[[ $tlsinfo == 0 ]] || die "curl could not verify the https server's certificate"
hostport=${url[https]#https://}
hostport=${hostport%%/*}
echo "checked one token from each; https: $(openssl s_client -connect "$hostport" -brief </dev/null 2>&1 |
	grep -E '^(Protocol version|Ciphersuite)' | paste -sd ',' || true)"

ab_measure

declare -A m_rps
ab_report
ratio=$(awk -v s="${m_rps[https]}" -v p="${m_rps[http]}" 'BEGIN {printf "%.3f", s / p}')
ok=$(awk -v s="${m_rps[https]}" -v p="${m_rps[http]}" -v m="$MIN_RATIO" 'BEGIN {print (s / p >= m) ? "PASS" : "FAIL"}')
echo
echo "throughput ratio https/http: $ratio"
printf '  %-4s https throughput >= %s x http, keep-alive (%s)\n' "$ok" "$MIN_RATIO" "$ratio"
ab_valid
