#!/bin/sh
# Builds, in directory $1, a small PKI for the certificate-status tests:
# root -> intermediate -> leaf (localhost), a second leaf, a client
# certificate (clientAuth), a delegated OCSP
# responder, OCSP responses (good, revoked, unknown, delegated, for the wrong
# certificate) and CRLs (none revoked, leaf revoked, client revoked,
# intermediate revoked).
# Made at test time so no validity date runs out in the repository.
set -eu
cd "$1"
ossl() { openssl "$@" 2>>openssl.log; }
key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

key root.key
ossl req -x509 -new -key root.key -out root.pem -subj "/CN=Baton Status Root" -days 3650 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign

# sign NAME ISSUER SERIAL SUBJECT EXTENSIONS
sign() {
  key "$1.key"
  ossl req -new -key "$1.key" -subj "$4" -out "$1.csr"
  printf '%b\n' "$5" > "$1.ext"
  ossl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -set_serial "$3" \
    -days 3650 -sha256 -extfile "$1.ext" -out "$1.pem"
}
sign inter root 0x1001 "/CN=Baton Status Intermediate" \
  "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign"
sign leaf inter 0x2001 "/CN=localhost" \
  "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature"
sign other inter 0x2002 "/CN=other" \
  "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature"
sign client inter 0x2003 "/CN=Baton Status Client" \
  "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature"
sign responder inter 0x3001 "/CN=Baton OCSP Responder" \
  "extendedKeyUsage=OCSPSigning\nkeyUsage=critical,digitalSignature"
cat leaf.pem inter.pem > chain.pem
cat other.pem inter.pem > other-chain.pem

# openssl ca index lines: status, expiry, revocation time, serial, file, subject.
EXP=351231235959Z
REV=240101000000Z
printf 'V\t%s\t\t2001\tunknown\t/CN=localhost\n' $EXP > idx-good.txt
printf 'V\t%s\t\t2002\tunknown\t/CN=other\n' $EXP >> idx-good.txt
printf 'R\t%s\t%s\t2001\tunknown\t/CN=localhost\n' $EXP $REV > idx-leaf-revoked.txt
printf 'R\t%s\t%s\t2003\tunknown\t/CN=Baton Status Client\n' $EXP $REV > idx-client-revoked.txt
printf 'V\t%s\t\t1001\tunknown\t/CN=Baton Status Intermediate\n' $EXP > idx-root-good.txt
printf 'R\t%s\t%s\t1001\tunknown\t/CN=Baton Status Intermediate\n' $EXP $REV > idx-inter-revoked.txt
: > idx-empty.txt

# ocsp OUT INDEX CERT SIGNER
ocsp() {
  ossl ocsp -index "$2" -CA inter.pem -issuer inter.pem -cert "$3" \
    -rsigner "$4.pem" -rkey "$4.key" -ndays 7 -respout "$1"
}
ocsp good.der idx-good.txt leaf.pem inter
ocsp revoked.der idx-leaf-revoked.txt leaf.pem inter
ocsp unknown.der idx-empty.txt leaf.pem inter
ocsp delegated.der idx-good.txt leaf.pem responder
ocsp wrong-cert.der idx-good.txt other.pem inter
# Signed by a certificate of the issuer that lacks the OCSPSigning usage.
ocsp not-delegated.der idx-good.txt leaf.pem other

# crl OUT INDEX ISSUER
crl() {
  cp "$2" crl-db.txt
  echo 1000 > crl-number.txt
  # A crlnumber makes it a v2 CRL, the only version webpki reads (RFC 5280 §5.1.2.1).
  printf '[ca]\ndefault_ca=d\n[d]\ndatabase=crl-db.txt\ncrlnumber=crl-number.txt\ndefault_md=sha256\ndefault_crl_days=30\ncrl_extensions=ext\n[ext]\nauthorityKeyIdentifier=keyid:always\n' > crl.cnf
  ossl ca -batch -gencrl -config crl.cnf -keyfile "$3.key" -cert "$3.pem" -out "$1"
}
crl inter-none.crl idx-good.txt inter
crl inter-leaf-revoked.crl idx-leaf-revoked.txt inter
crl inter-client-revoked.crl idx-client-revoked.txt inter
crl root-none.crl idx-root-good.txt root
crl root-inter-revoked.crl idx-inter-revoked.txt root
