#!/usr/bin/env bash
# Generates Baton's TEST-ONLY certificates and keys (see README.md).
#
# Needs bash and the openssl CLI (tested with OpenSSL 3.0). File names are fixed.
# Idempotent: if every output already exists it does nothing; pass --force to
# regenerate the whole set (fresh keys, so all files change together).
# Work happens in a temporary directory; outputs are only replaced once
# everything has been generated successfully.
set -euo pipefail

cd "$(dirname "$0")"
OUT_DIR=$(pwd)

OUTPUTS=(
  ca-rsa.pem ca-rsa.key
  ca-ecdsa.pem ca-ecdsa.key
  intermediate-p256.pem intermediate-p256.key
  server-rsa.pem server-rsa.key server-rsa-pkcs1.key
  server-p256.pem server-p256.key server-p256-sec1.key server-p256-chain.pem
  server-p384.pem server-p384.key
  server-expired.pem server-expired.key
  untrusted-ca.pem untrusted-ca.key
  server-untrusted.pem server-untrusted.key
  client.pem client.key client-chain.pem
)

# The CNSA (RFC 9151) set: every signature SHA-384, P-384 or RSA-3072 keys, for
# the `rfc9151` policy. A set of its own, so adding it did not regenerate the above.
CNSA_OUTPUTS=(
  ca-cnsa-p384.pem ca-cnsa-p384.key
  server-cnsa-p384.pem server-cnsa-p384.key
  ca-cnsa-rsa3072.pem ca-cnsa-rsa3072.key
  server-cnsa-rsa3072.pem server-cnsa-rsa3072.key
)

# P-521 (ECDSA with SHA-512 throughout) and RSA-PSS (id-RSASSA-PSS keys) sets,
# each of its own for the same reason.
P521_OUTPUTS=(
  ca-p521.pem ca-p521.key
  server-p521.pem server-p521.key server-p521-sec1.key
)
PSS_OUTPUTS=(
  server-rsa-pss.pem server-rsa-pss.key
)
PSS_CA_OUTPUTS=(
  ca-rsa-pss.pem ca-rsa-pss.key
  server-rsa-under-pss-ca.pem server-rsa-under-pss-ca.key
)

# missing NAME...: true if any of the files is absent.
missing() {
  local f
  for f in "$@"; do
    [[ -f "$f" ]] || return 0
  done
  return 1
}

GEN_MAIN=1
GEN_CNSA=1
GEN_P521=1
GEN_PSS=1
GEN_PSS_CA=1
if [[ "${1:-}" != "--force" ]]; then
  missing "${OUTPUTS[@]}" || GEN_MAIN=0
  missing "${CNSA_OUTPUTS[@]}" || GEN_CNSA=0
  missing "${P521_OUTPUTS[@]}" || GEN_P521=0
  missing "${PSS_OUTPUTS[@]}" || GEN_PSS=0
  missing "${PSS_CA_OUTPUTS[@]}" || GEN_PSS_CA=0
  if [[ $GEN_MAIN -eq 0 && $GEN_CNSA -eq 0 && $GEN_P521 -eq 0 && $GEN_PSS -eq 0 &&
        $GEN_PSS_CA -eq 0 ]]; then
    echo "gen.sh: all test files present; nothing to do (use --force to regenerate)"
    exit 0
  fi
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

cat > ext.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no

[dn]
CN = placeholder

[v3_root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[v3_intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_rsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = @server_names
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_ec]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = @server_names
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[client_ec]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:client.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_names]
DNS.1 = localhost
DNS.2 = server.test
DNS.3 = *.wild.test
IP.1 = 127.0.0.1
CNF

# Everything is issued with `openssl ca`, because openssl 3.0's `x509 -req` and
# `req -x509` cannot set an arbitrary notBefore/notAfter (needed to backdate
# notBefore, and for the expired certificate).
mkdir -p ca-db/new
: > ca-db/index.txt
cat > ca.cnf <<CNF
[ca]
default_ca = test_ca

[test_ca]
database = $WORK/ca-db/index.txt
new_certs_dir = $WORK/ca-db/new
serial = $WORK/ca-db/serial
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
email_in_dn = no
preserve = yes

[any_name]
commonName = supplied
CNF

# Good certificates: 2020-01-01 .. 2120-01-01 (100 years, so the tests do not
# rot; notBefore in the past so a slightly wrong clock does not matter).
GOOD_FROM=20200101000000Z
GOOD_UNTIL=21200101000000Z

key_rsa() { openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:${2:-2048}" -out "$1"; }
key_ec() { openssl genpkey -quiet -algorithm EC -pkeyopt "ec_paramgen_curve:$2" -pkeyopt ec_param_enc:named_curve -out "$1"; }

# issue NAME SUBJECT ISSUER|self EXT_SECTION [FROM UNTIL]; the digest is $MD (default sha256).
issue() {
  local name=$1 subject=$2 issuer=$3 ext=$4 from=${5:-$GOOD_FROM} until=${6:-$GOOD_UNTIL}
  openssl req -new -key "$name.key" -subj "/CN=$subject" -config ext.cnf -out "$name.csr"
  # Random positive 128-bit serial (leading 0x01 byte).
  echo "01$(openssl rand -hex 15)" > ca-db/serial
  local signer=(-cert "$issuer.pem" -keyfile "$issuer.key")
  if [[ $issuer == self ]]; then
    signer=(-selfsign -keyfile "$name.key")
  fi
  openssl ca -batch -notext -config ca.cnf "${signer[@]}" -in "$name.csr" -md "${MD:-sha256}" \
    "${SIGOPTS[@]}" \
    -startdate "$from" -enddate "$until" -extfile ext.cnf -extensions "$ext" \
    -out "$name.pem" 2>ca-db/err || { cat ca-db/err >&2; exit 1; }
}

generated=()
SIGOPTS=() # extra `openssl ca -sigopt` options (the RSA-PSS CA)

if [[ $GEN_MAIN -eq 1 ]]; then
# Root CAs.
key_rsa ca-rsa.key
issue ca-rsa "Baton Test Root CA (RSA)" self v3_root
key_ec ca-ecdsa.key P-256
issue ca-ecdsa "Baton Test Root CA (ECDSA)" self v3_root
key_ec untrusted-ca.key P-256
issue untrusted-ca "Baton Untrusted Test CA" self v3_root

# Intermediate under the ECDSA root.
key_ec intermediate-p256.key P-256
issue intermediate-p256 "Baton Test Intermediate CA (P-256)" ca-ecdsa v3_intermediate

# Server leaves.
key_rsa server-rsa.key
issue server-rsa "server.test (RSA)" ca-rsa server_rsa
openssl rsa -in server-rsa.key -traditional -out server-rsa-pkcs1.key 2>/dev/null

key_ec server-p256.key P-256
issue server-p256 "server.test (P-256)" intermediate-p256 server_ec
openssl ec -in server-p256.key -out server-p256-sec1.key 2>/dev/null
cat server-p256.pem intermediate-p256.pem > server-p256-chain.pem

key_ec server-p384.key P-384
issue server-p384 "server.test (P-384)" ca-ecdsa server_ec

key_ec server-untrusted.key P-256
issue server-untrusted "server.test (untrusted)" untrusted-ca server_ec

# Expired leaf (valid 2000-01-01 .. 2001-01-01), signed by the RSA root.
key_ec server-expired.key P-256
issue server-expired "server.test (expired)" ca-rsa server_ec 20000101000000Z 20010101000000Z

# Client certificate (for mutual authentication), chain via the intermediate.
key_ec client.key P-256
issue client "client.test (P-256)" intermediate-p256 client_ec
cat client.pem intermediate-p256.pem > client-chain.pem

# Sanity checks with openssl itself.
openssl verify -CAfile ca-rsa.pem server-rsa.pem >/dev/null
openssl verify -CAfile ca-ecdsa.pem -untrusted intermediate-p256.pem server-p256.pem >/dev/null
openssl verify -CAfile ca-ecdsa.pem server-p384.pem >/dev/null
openssl verify -CAfile ca-ecdsa.pem -untrusted intermediate-p256.pem -purpose sslclient client.pem >/dev/null
grep -q "BEGIN RSA PRIVATE KEY" server-rsa-pkcs1.key
grep -q "BEGIN EC PRIVATE KEY" server-p256-sec1.key
generated+=("${OUTPUTS[@]}")
fi

if [[ $GEN_CNSA -eq 1 ]]; then
# CNSA roots and leaves (RFC 9151): SHA-384 signatures throughout.
MD=sha384
key_ec ca-cnsa-p384.key P-384
issue ca-cnsa-p384 "Baton Test Root CA (CNSA, P-384)" self v3_root
key_ec server-cnsa-p384.key P-384
issue server-cnsa-p384 "server.test (CNSA, P-384)" ca-cnsa-p384 server_ec
key_rsa ca-cnsa-rsa3072.key 3072
issue ca-cnsa-rsa3072 "Baton Test Root CA (CNSA, RSA 3072)" self v3_root
key_rsa server-cnsa-rsa3072.key 3072
issue server-cnsa-rsa3072 "server.test (CNSA, RSA 3072)" ca-cnsa-rsa3072 server_rsa
unset MD
openssl verify -CAfile ca-cnsa-p384.pem server-cnsa-p384.pem >/dev/null
openssl verify -CAfile ca-cnsa-rsa3072.pem server-cnsa-rsa3072.pem >/dev/null
for f in ca-cnsa-p384.pem server-cnsa-p384.pem; do
  openssl x509 -in "$f" -noout -text | grep -q "Signature Algorithm: ecdsa-with-SHA384"
done
for f in ca-cnsa-rsa3072.pem server-cnsa-rsa3072.pem; do
  openssl x509 -in "$f" -noout -text | grep -q "Signature Algorithm: sha384WithRSAEncryption"
done
generated+=("${CNSA_OUTPUTS[@]}")
fi

if [[ $GEN_P521 -eq 1 ]]; then
# P-521 root and leaf, both signed with ecdsa-with-SHA512.
MD=sha512
key_ec ca-p521.key P-521
issue ca-p521 "Baton Test Root CA (P-521)" self v3_root
key_ec server-p521.key P-521
issue server-p521 "server.test (P-521)" ca-p521 server_ec
unset MD
openssl ec -in server-p521.key -out server-p521-sec1.key 2>/dev/null
openssl verify -CAfile ca-p521.pem server-p521.pem >/dev/null
for f in ca-p521.pem server-p521.pem; do
  openssl x509 -in "$f" -noout -text | grep -q "Signature Algorithm: ecdsa-with-SHA512"
done
grep -q "BEGIN EC PRIVATE KEY" server-p521-sec1.key
generated+=("${P521_OUTPUTS[@]}")
fi

if [[ $GEN_PSS -eq 1 ]]; then
# A leaf whose key is RSA-PSS (SubjectPublicKeyInfo id-RSASSA-PSS, no
# parameters: any hash), signed by the RSA root (sha256WithRSAEncryption), so
# only the leaf key differs from server-rsa. The CA key lives in the main set;
# regenerating that set (--force) regenerates this one too.
[[ -f ca-rsa.key ]] || { cp "$OUT_DIR/ca-rsa.key" "$OUT_DIR/ca-rsa.pem" .; }
openssl genpkey -quiet -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out server-rsa-pss.key
issue server-rsa-pss "server.test (RSA-PSS key)" ca-rsa server_ec
openssl verify -CAfile ca-rsa.pem server-rsa-pss.pem >/dev/null
openssl x509 -in server-rsa-pss.pem -noout -text | grep -q "Public Key Algorithm: rsassaPss"
generated+=("${PSS_OUTPUTS[@]}")
fi

if [[ $GEN_PSS_CA -eq 1 ]]; then
# A root whose key is RSA-PSS, signing with RSASSA-PSS (SHA-256, MGF1-SHA-256,
# salt 32: the parameters TLS's rsa_pss_pss_sha256 names), and an rsaEncryption
# leaf under it: a chain whose certificate signature is rsa_pss_pss_sha256.
SIGOPTS=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:sha256)
openssl genpkey -quiet -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out ca-rsa-pss.key
issue ca-rsa-pss "Baton Test Root CA (RSA-PSS key)" self v3_root
key_rsa server-rsa-under-pss-ca.key
issue server-rsa-under-pss-ca "server.test (RSA, under the RSA-PSS root)" ca-rsa-pss server_rsa
SIGOPTS=()
openssl verify -CAfile ca-rsa-pss.pem server-rsa-under-pss-ca.pem >/dev/null
openssl x509 -in server-rsa-under-pss-ca.pem -noout -text | grep -q "Salt Length: 0x20"
generated+=("${PSS_CA_OUTPUTS[@]}")
fi

for f in "${generated[@]}"; do
  cp "$f" "$OUT_DIR/$f"
done
echo "gen.sh: generated ${#generated[@]} files in $OUT_DIR"
