#!/usr/bin/env bash
# Instructions per operation for each library under valgrind's callgrind.
# The bench binary's --callgrind mode runs one operation N times after setup;
# callgrind counts only inside the named functions (--toggle-collect), so
# process start, key loading and the DRBG's jitter-entropy seeding (which
# varies from run to run) are not counted. Handshakes are split by side
# (cg_client / cg_server), records by direction (record_send / record_recv);
# cg_total is the whole loop, both sides, entered once. For s2n-tls the
# per-side split is not reliable (callgrind loses track of a return inside
# s2n, so server work lands on the client): use its cg_total. Under valgrind the CPU has no AVX-512, so the crypto code
# paths can differ from native runs.
# Usage: bench/callgrind.sh [N]   (builds baton-bench in release if needed;
#        OPS="res13-ecdsa res12-ecdsa" limits the operations)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
bin=${BIN:-target/release/baton-bench}
[ -x "$bin" ] || cargo build --release -p baton-bench --bin baton-bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() { # lib op iters function-pattern -> instructions per iteration
  rm -f "$tmp/out"
  valgrind --tool=callgrind --callgrind-out-file="$tmp/out" --toggle-collect="$4" \
    "$bin" --callgrind "$1" "$2" --iters "$3" >/dev/null 2>&1 || return 1
  awk -v n="$3" '/^summary:/ {printf "%d", $2 / n}' "$tmp/out"
}
echo "| operation | Baton | s2n-tls | rustls | OpenSSL |"
echo "|---|---:|---:|---:|---:|"
# res13-ecdsa / res12-ecdsa: resumed handshakes (OpenSSL: its server against a
# rustls client, so only its cg_server is OpenSSL's). raw12-client /
# raw12-server: the raw crypto of one side of a TLS 1.2 resumed handshake
# (the same for every LIB column: it calls aws-lc-rs alone).
for op in ${OPS:-hs13-ecdsa hs13-rsa hs12-ecdsa rec16k res13-ecdsa res12-ecdsa raw12-client raw12-server}; do
  case $op in
  rec16k) parts="cg_total record_send record_recv"; iters=$((n * 10)) ;;
  raw12*) parts="cg_total"; iters=$n ;;
  *) parts="cg_total cg_client cg_server"; iters=$n ;;
  esac
  for part in $parts; do
    row="| $op, $part |"
    for lib in baton s2n rustls openssl; do
      if v=$(count "$lib" "$op" "$iters" "*$part*") && [ -n "$v" ]; then
        row="$row $v |"
      else
        row="$row n/a |"
      fi
    done
    echo "$row"
  done
done
