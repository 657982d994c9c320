/* Helpers shared by batonc.c and batond.c: error reports, the poll loop
 * on the blocked status, and reading a PEM file. */
#ifndef BATON_EXAMPLES_COMMON_H
#define BATON_EXAMPLES_COMMON_H

#include "baton.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long one wait for the socket may take before we give up. */
#define WAIT_MS 10000

static inline const char *error_type_name(int type)
{
    switch (type) {
    case BATON_ERR_T_OK: return "OK";
    case BATON_ERR_T_IO: return "IO";
    case BATON_ERR_T_CLOSED: return "CLOSED";
    case BATON_ERR_T_BLOCKED: return "BLOCKED";
    case BATON_ERR_T_ALERT: return "ALERT";
    case BATON_ERR_T_PROTO: return "PROTO";
    case BATON_ERR_T_INTERNAL: return "INTERNAL";
    case BATON_ERR_T_USAGE: return "USAGE";
    default: return "?";
    }
}

/* Prints what failed, with the error's name, type, text and alerts. */
static inline void report(const char *prog, const char *what, struct baton_connection *conn)
{
    int err = baton_errno;
    fprintf(stderr, "%s: %s failed: %s (type %s): %s\n", prog, what, baton_strerror_name(err),
            error_type_name(baton_error_get_type(err)), baton_strerror(err, "EN"));
    fprintf(stderr, "%s:   debug: %s\n", prog, baton_strerror_debug(err, "EN"));
    if (conn) {
        int sent = baton_connection_get_sent_alert(conn);
        int got = baton_connection_get_alert(conn);
        if (sent >= 0) {
            fprintf(stderr, "%s:   sent alert %d\n", prog, sent);
        }
        if (got >= 0) {
            fprintf(stderr, "%s:   received alert %d\n", prog, got);
        }
    }
}

/* Waits for what `blocked` names; 0 when ready, -1 on timeout or error. */
static inline int wait_for(int fd, baton_blocked_status blocked)
{
    struct pollfd p = { .fd = fd, .events = 0 };
    if (blocked == BATON_BLOCKED_ON_READ) {
        p.events = POLLIN;
    } else if (blocked == BATON_BLOCKED_ON_WRITE) {
        p.events = POLLOUT;
    } else {
        return -1; /* these examples set no callbacks that pause */
    }
    int n;
    do {
        n = poll(&p, 1, WAIT_MS);
    } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

/* Runs the handshake on a non-blocking fd, polling on the blocked status. */
static inline int negotiate(struct baton_connection *conn, int fd)
{
    baton_blocked_status blocked;
    while (baton_negotiate(conn, &blocked) < 0) {
        if (baton_error_get_type(baton_errno) != BATON_ERR_T_BLOCKED || wait_for(fd, blocked) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Sends all of `buf`. */
static inline int send_all(struct baton_connection *conn, int fd, const char *buf, size_t len)
{
    baton_blocked_status blocked;
    while (len > 0) {
        ssize_t n = baton_send(conn, buf, (ssize_t)len, &blocked);
        if (n < 0) {
            if (baton_error_get_type(baton_errno) != BATON_ERR_T_BLOCKED || wait_for(fd, blocked) < 0) {
                return -1;
            }
            continue;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Receives some bytes: the count, 0 at close_notify, -1 on failure. */
static inline ssize_t recv_some(struct baton_connection *conn, int fd, char *buf, size_t len)
{
    baton_blocked_status blocked;
    for (;;) {
        ssize_t n = baton_recv(conn, buf, (ssize_t)len, &blocked);
        if (n >= 0) {
            return n;
        }
        if (baton_error_get_type(baton_errno) != BATON_ERR_T_BLOCKED || wait_for(fd, blocked) < 0) {
            return -1;
        }
    }
}

/* Sends close_notify and waits for the peer's (best effort). */
static inline int shutdown_tls(struct baton_connection *conn, int fd)
{
    baton_blocked_status blocked;
    while (baton_shutdown(conn, &blocked) < 0) {
        if (baton_error_get_type(baton_errno) != BATON_ERR_T_BLOCKED || wait_for(fd, blocked) < 0) {
            return -1;
        }
    }
    return 0;
}

static inline const char *version_name(int v)
{
    switch (v) {
    case BATON_TLS13: return "TLSv1.3";
    case BATON_TLS12: return "TLSv1.2";
    default: return "unknown";
    }
}

/* Prints what the handshake negotiated. */
static inline void print_info(struct baton_connection *conn)
{
    const char *alpn = baton_get_application_protocol(conn);
    const char *sni = baton_get_server_name(conn);
    printf("protocol: %s\n", version_name(baton_connection_get_actual_protocol_version(conn)));
    printf("cipher: %s\n", baton_connection_get_cipher(conn));
    printf("alpn: %s\n", alpn ? alpn : "(none)");
    printf("server name: %s\n", sni ? sni : "(none)");
    printf("resumed: %s\n", baton_connection_is_session_resumed(conn) ? "yes" : "no");
}

/* Tries kernel TLS both ways; the connection works either way. */
static inline void try_ktls(const char *prog, struct baton_connection *conn)
{
    if (baton_connection_ktls_enable_send(conn) < 0) {
        report(prog, "ktls send", conn);
    }
    if (baton_connection_ktls_enable_recv(conn) < 0) {
        report(prog, "ktls recv", conn);
    }
    printf("ktls send: %s\n", baton_connection_is_ktls_enabled(conn, BATON_KTLS_SEND) == 1 ? "kernel" : "userspace");
    printf("ktls recv: %s\n", baton_connection_is_ktls_enabled(conn, BATON_KTLS_RECV) == 1 ? "kernel" : "userspace");
    printf("ktls status: %s\n", baton_connection_get_ktls_status(conn));
}

/* A whole file, NUL-terminated (for PEM); NULL on failure. Free it. */
static inline char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            break;
        }
        if (cap - len - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[len] = '\0';
    }
    return buf;
}

#endif
