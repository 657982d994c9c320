#!/bin/sh
# Regenerates the ocsp_response seeds (and the staple the handshake fuzz
# targets' servers carry): "good" OCSP responses for the tests/data server
# certificates, valid for 100 years so the seeds' own checks keep passing.
# The first byte of a seed picks the chain (0: server-rsa under ca-rsa, the
# issuer a trust anchor; 1: server-p256 under its intermediate).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../../../data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
resp() { # OUT CERT ISSUER ISSUER_KEY
  serial=$(openssl x509 -in "$2" -noout -serial | cut -d= -f2)
  printf 'V\t21191231235959Z\t\t%s\tunknown\t/CN=x\n' "$serial" > "$tmp/index"
  openssl ocsp -index "$tmp/index" -CA "$3" -issuer "$3" -cert "$2" \
    -rsigner "$3" -rkey "$4" -ndays 36500 -respout "$tmp/resp" >/dev/null 2>&1
  cat "$tmp/resp" > "$1"
}
resp "$tmp/rsa" "$data/server-rsa.pem" "$data/ca-rsa.pem" "$data/ca-rsa.key"
resp "$tmp/p256" "$data/server-p256-chain.pem" "$data/intermediate-p256.pem" "$data/intermediate-p256.key"
printf '\000' | cat - "$tmp/rsa" > "$here/rsa-good"
printf '\001' | cat - "$tmp/p256" > "$here/p256-good"
