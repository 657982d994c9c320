// Command interop is the Go crypto/tls peer of Baton's integration tests
// (tests/integration/go_peer.rs): one TLS 1.3 connection as client or
// server on 127.0.0.1, with the key exchange groups the test names, an echo of
// the data, and one line on stdout that says what Go negotiated:
//
//	RESULT version=0304 group=4588 hrr=true
//
// Standard library only; the test builds it with GOTOOLCHAIN=local, GOPROXY=off.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: interop client|server [flags]")
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	groups := fs.String("groups", "", "comma-separated TLS group code points, in preference order (empty: Go's defaults)")
	cert := fs.String("cert", "", "server certificate chain (PEM)")
	key := fs.String("key", "", "server private key (PEM)")
	ca := fs.String("ca", "", "client trust anchor (PEM)")
	port := fs.Int("port", 0, "client: the server's port on 127.0.0.1")
	size := fs.Int("size", 4096, "client: bytes to send and expect back")
	fs.Parse(os.Args[2:])

	cfg := &tls.Config{MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13}
	if *groups != "" {
		for _, g := range strings.Split(*groups, ",") {
			n, err := strconv.ParseUint(g, 0, 16)
			if err != nil {
				fail("bad group " + g)
			}
			cfg.CurvePreferences = append(cfg.CurvePreferences, tls.CurveID(n))
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	switch mode {
	case "server":
		pair, err := tls.LoadX509KeyPair(*cert, *key)
		check(err)
		cfg.Certificates = []tls.Certificate{pair}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		check(err)
		fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
		raw, err := ln.Accept()
		check(err)
		check(raw.SetDeadline(deadline))
		conn := tls.Server(raw, cfg)
		check(conn.Handshake())
		// Echo until the client's close_notify, then close ours.
		_, err = io.Copy(conn, conn)
		check(err)
		report(conn)
		check(conn.Close())
	case "client":
		pem, err := os.ReadFile(*ca)
		check(err)
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			fail("no certificate in " + *ca)
		}
		cfg.RootCAs = roots
		cfg.ServerName = "localhost"
		raw, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
		check(err)
		check(raw.SetDeadline(deadline))
		conn := tls.Client(raw, cfg)
		check(conn.Handshake())
		data := make([]byte, *size)
		for i := range data {
			data[i] = byte(i * 7 % 251)
		}
		go func() {
			_, err := conn.Write(data)
			check(err)
			check(conn.CloseWrite())
		}()
		echo, err := io.ReadAll(conn)
		check(err)
		if string(echo) != string(data) {
			fail(fmt.Sprintf("echo differs: %d of %d bytes", len(echo), len(data)))
		}
		report(conn)
		conn.Close()
	default:
		fail("unknown mode " + mode)
	}
}

func report(conn *tls.Conn) {
	st := conn.ConnectionState()
	fmt.Printf("RESULT version=%04x group=%d hrr=%t\n", st.Version, uint16(st.CurveID), st.HelloRetryRequest)
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Printf("ERROR %s\n", msg)
	os.Exit(1)
}
