#!/usr/bin/env bash
# Instructions per operation for each library under valgrind's callgrind:
# runs the bench binary's --callgrind mode with 1 and 1+N iterations and
# divides the difference by N, so setup and process start cancel out.
# Usage: bench/callgrind.sh [N]   (needs a release build of baton-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}
bin=target/release/baton-bench
[ -x "$bin" ] || cargo build --release -p baton-bench --bin baton-bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() { # lib op iters -> total instructions
  valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$bin" --callgrind "$1" "$2" --iters "$3" >/dev/null 2>&1
  awk '/^summary:/ {print $2}' "$tmp/out"
}
echo "| operation | Baton | s2n-tls | rustls | OpenSSL |"
echo "|---|---:|---:|---:|---:|"
for op in hs13-ecdsa hs13-rsa hs12-ecdsa rec16k; do
  row="| $op |"
  for lib in baton s2n rustls openssl; do
    if a=$(count "$lib" "$op" 1) && b=$(count "$lib" "$op" $((n + 1))) && [ -n "$a" ] && [ -n "$b" ]; then
      row="$row $(( (b - a) / n )) |"
    else
      row="$row n/a |"
    fi
  done
  echo "$row"
done
