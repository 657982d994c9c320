/* batonc: a TLS client over Baton's C API, after s2n's s2nc.
 *
 *   batonc [-c CAFILE] [-i] [-p POLICY] [-a ALPN]... [-n NAME] [-k] [-r REQUEST] HOST PORT
 *
 * Connects, negotiates on a non-blocking socket (polling on the blocked
 * status), prints the protocol, cipher and ALPN, sends REQUEST (with "\n"
 * and "\r" escapes) and prints the answer until the server closes. Exits 1
 * on failure, with the error's name, type and alerts on stderr.
 */
#include "common.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *prog = "batonc";

static void usage(void)
{
    fprintf(stderr,
            "usage: batonc [-c CAFILE] [-i] [-p POLICY] [-a ALPN]... [-n NAME] [-k] [-r REQUEST] HOST PORT\n");
    exit(2);
}

/* "\r\n" escapes in a request from the command line, in place. */
static size_t unescape(char *s)
{
    char *out = s;
    for (char *in = s; *in; in++) {
        if (in[0] == '\\' && (in[1] == 'n' || in[1] == 'r')) {
            *out++ = in[1] == 'n' ? '\n' : '\r';
            in++;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        if (fd >= 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

int main(int argc, char **argv)
{
    const char *ca = NULL, *policy = NULL, *name = NULL;
    char *request = NULL;
    int insecure = 0, ktls = 0, opt;
    struct baton_config *config = baton_config_new_minimal();
    if (!config) {
        report(prog, "baton_config_new_minimal", NULL);
        return 1;
    }
    while ((opt = getopt(argc, argv, "c:ip:a:n:kr:")) != -1) {
        switch (opt) {
        case 'c': ca = optarg; break;
        case 'i': insecure = 1; break;
        case 'p': policy = optarg; break;
        case 'a':
            if (baton_config_append_protocol_preference(config, (const uint8_t *)optarg,
                                                        (uint8_t)strlen(optarg)) < 0) {
                report(prog, "baton_config_append_protocol_preference", NULL);
                return 1;
            }
            break;
        case 'n': name = optarg; break;
        case 'k': ktls = 1; break;
        case 'r': request = optarg; break;
        default: usage();
        }
    }
    if (argc - optind != 2) {
        usage();
    }
    const char *host = argv[optind], *port = argv[optind + 1];
    int rc = 1;
    struct baton_connection *conn = NULL;
    int fd = -1;

    if (policy && baton_config_set_cipher_preferences(config, policy) < 0) {
        report(prog, "baton_config_set_cipher_preferences", NULL);
        goto out;
    }
    if (ca && baton_config_set_verification_ca_location(config, ca, NULL) < 0) {
        report(prog, "baton_config_set_verification_ca_location", NULL);
        goto out;
    }
    if (insecure && baton_config_disable_x509_verification(config) < 0) {
        report(prog, "baton_config_disable_x509_verification", NULL);
        goto out;
    }
    fd = connect_to(host, port);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot connect to %s:%s\n", prog, host, port);
        goto out;
    }
    /* Non-blocking, so the blocked status drives the poll loop. */
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        goto out;
    }
    conn = baton_connection_new(BATON_CLIENT);
    if (!conn || baton_connection_set_config(conn, config) < 0 || baton_connection_set_fd(conn, fd) < 0) {
        report(prog, "setting up the connection", conn);
        goto out;
    }
    if (baton_set_server_name(conn, name ? name : host) < 0) {
        report(prog, "baton_set_server_name", conn);
        goto out;
    }
    if (negotiate(conn, fd) < 0) {
        report(prog, "negotiate", conn);
        goto out;
    }
    print_info(conn);
    if (ktls) {
        try_ktls(prog, conn);
    }
    if (request) {
        size_t len = unescape(request);
        if (send_all(conn, fd, request, len) < 0) {
            report(prog, "send", conn);
            goto out;
        }
        printf("---\n");
        char buf[4096];
        for (;;) {
            ssize_t n = recv_some(conn, fd, buf, sizeof buf);
            if (n == 0) {
                break; /* close_notify */
            }
            if (n < 0) {
                if (baton_error_get_type(baton_errno) == BATON_ERR_T_CLOSED) {
                    fprintf(stderr, "%s: the server closed without close_notify\n", prog);
                    break;
                }
                report(prog, "recv", conn);
                goto out;
            }
            fwrite(buf, 1, (size_t)n, stdout);
        }
        fflush(stdout);
    }
    /* Best effort: the server may have closed its socket already. */
    shutdown_tls(conn, fd);
    rc = 0;
out:
    baton_connection_free(conn);
    baton_config_free(config);
    if (fd >= 0) {
        close(fd); /* ours: Baton closed its own duplicate */
    }
    baton_cleanup();
    return rc;
}
