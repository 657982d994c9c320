/* batond: a TLS echo server over Baton's C API, after s2n's s2nd.
 *
 *   batond -c CERT_CHAIN -k KEY [-p POLICY] [-a ALPN]... [-n CONNECTIONS] [-K] PORT
 *
 * Listens on 127.0.0.1:PORT (0: any free port) and prints "listening on
 * PORT" once it does. For each of CONNECTIONS connections (default 1):
 * accepts, negotiates on a non-blocking socket, prints what was negotiated,
 * then echoes what the client sends until its close_notify, and answers it
 * with its own. Exits 1 if any connection failed.
 */
#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *prog = "batond";

static void usage(void)
{
    fprintf(stderr, "usage: batond -c CERT_CHAIN -k KEY [-p POLICY] [-a ALPN]... [-n CONNECTIONS] [-K] PORT\n");
    exit(2);
}

/* Serves one accepted socket: 0 on success. */
static int serve(struct baton_connection *conn, int fd, int ktls)
{
    if (baton_connection_set_fd(conn, fd) < 0) {
        report(prog, "baton_connection_set_fd", conn);
        return -1;
    }
    if (negotiate(conn, fd) < 0) {
        report(prog, "negotiate", conn);
        return -1;
    }
    print_info(conn);
    if (ktls) {
        try_ktls(prog, conn);
    }
    fflush(stdout);
    char buf[4096];
    for (;;) {
        ssize_t n = recv_some(conn, fd, buf, sizeof buf);
        if (n == 0) {
            break; /* the client's close_notify */
        }
        if (n < 0) {
            report(prog, "recv", conn);
            return -1;
        }
        if (send_all(conn, fd, buf, (size_t)n) < 0) {
            report(prog, "send", conn);
            return -1;
        }
    }
    if (shutdown_tls(conn, fd) < 0) {
        report(prog, "shutdown", conn);
        return -1;
    }
    printf("closed cleanly\n");
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *policy = NULL;
    int count = 1, ktls = 0, opt;
    struct baton_config *config = baton_config_new_minimal();
    if (!config) {
        report(prog, "baton_config_new_minimal", NULL);
        return 1;
    }
    while ((opt = getopt(argc, argv, "c:k:p:a:n:K")) != -1) {
        switch (opt) {
        case 'c': cert = optarg; break;
        case 'k': key = optarg; break;
        case 'p': policy = optarg; break;
        case 'a':
            if (baton_config_append_protocol_preference(config, (const uint8_t *)optarg,
                                                        (uint8_t)strlen(optarg)) < 0) {
                report(prog, "baton_config_append_protocol_preference", NULL);
                return 1;
            }
            break;
        case 'n': count = atoi(optarg); break;
        case 'K': ktls = 1; break;
        default: usage();
        }
    }
    if (argc - optind != 1 || !cert || !key) {
        usage();
    }
    int rc = 1, listener = -1;
    char *chain_pem = read_file(cert), *key_pem = read_file(key);
    struct baton_connection *conn = NULL;
    if (!chain_pem || !key_pem) {
        fprintf(stderr, "%s: cannot read %s or %s\n", prog, cert, key);
        goto out;
    }
    if (baton_config_add_cert_chain_and_key(config, chain_pem, key_pem) < 0) {
        report(prog, "baton_config_add_cert_chain_and_key", NULL);
        goto out;
    }
    if (policy && baton_config_set_cipher_preferences(config, policy) < 0) {
        report(prog, "baton_config_set_cipher_preferences", NULL);
        goto out;
    }

    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[optind])) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof addr;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 16) < 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &alen) < 0) {
        fprintf(stderr, "%s: cannot listen: %s\n", prog, strerror(errno));
        goto out;
    }
    printf("listening on %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    conn = baton_connection_new(BATON_SERVER);
    if (!conn) {
        report(prog, "baton_connection_new", NULL);
        goto out;
    }
    rc = 0;
    for (int i = 0; i < count; i++) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            rc = 1;
            break;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        /* One connection object, reused: wipe keeps the mode, forgets the rest. */
        if (baton_connection_set_config(conn, config) < 0 || serve(conn, fd, ktls) < 0) {
            rc = 1;
        }
        baton_connection_wipe(conn);
        close(fd); /* ours; the wipe closed Baton's duplicate */
    }
out:
    baton_connection_free(conn);
    baton_config_free(config);
    free(chain_pem);
    free(key_pem);
    if (listener >= 0) {
        close(listener);
    }
    baton_cleanup();
    return rc;
}
