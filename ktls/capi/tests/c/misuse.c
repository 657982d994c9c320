/* The C boundary's checks, from C: NULLs, bad lengths, wrong order, each
 * refused with -1/NULL and the right baton_errno; the error state per
 * thread; then a whole handshake between two connections over a socketpair
 * after the config was freed (valgrind sees any use after free).
 *
 *   misuse CERT_CHAIN KEY
 */
#include "baton.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int failures = 0;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "misuse.c:%d: check failed: %s (baton_errno %s: %s)\n",     \
                    __LINE__, #cond, baton_strerror_name(baton_errno),                  \
                    baton_strerror_debug(baton_errno, "EN"));                           \
            failures++;                                                                 \
        }                                                                               \
    } while (0)

/* Fails with `code`: the return was the error value and errno says why. */
#define REFUSED(call, code) CHECK((call) && baton_errno == (code))

static void *fresh_thread(void *arg)
{
    (void)arg;
    /* Another thread's errors are not this one's. */
    return (void *)(intptr_t)baton_errno;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char *buf = calloc(1, 65536);
    if (buf) {
        size_t n = fread(buf, 1, 65535, f);
        buf[n] = '\0';
    }
    fclose(f);
    return buf;
}

/* Both sides' handshakes, in turns, until both are done. */
static int handshake(struct baton_connection *client, struct baton_connection *server)
{
    int client_done = 0, server_done = 0;
    baton_blocked_status blocked;
    for (int turn = 0; turn < 100 && !(client_done && server_done); turn++) {
        if (!client_done) {
            if (baton_negotiate(client, &blocked) == 0) {
                client_done = 1;
            } else if (blocked == BATON_NOT_BLOCKED) {
                return -1;
            }
        }
        if (!server_done) {
            if (baton_negotiate(server, &blocked) == 0) {
                server_done = 1;
            } else if (blocked == BATON_NOT_BLOCKED) {
                return -1;
            }
        }
    }
    return client_done && server_done ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: misuse CERT_CHAIN KEY\n");
        return 2;
    }
    baton_blocked_status blocked = BATON_BLOCKED_ON_READ;
    char buf[16] = { 0 };

    CHECK(baton_init() == 0);
    CHECK(baton_errno == BATON_ERR_OK);

    /* Constructors and NULL handles. */
    REFUSED(baton_connection_new(7) == NULL, BATON_ERR_INVALID_ARGUMENT);
    CHECK(baton_error_get_type(baton_errno) == BATON_ERR_T_USAGE);
    REFUSED(baton_config_set_cipher_preferences(NULL, "default") == -1, BATON_ERR_NULL);
    REFUSED(baton_negotiate(NULL, &blocked) == -1, BATON_ERR_NULL);
    CHECK(blocked == BATON_NOT_BLOCKED);
    REFUSED(baton_recv(NULL, buf, sizeof buf, &blocked) == -1, BATON_ERR_NULL);
    REFUSED(baton_connection_get_cipher(NULL) == NULL, BATON_ERR_NULL);
    CHECK(baton_config_free(NULL) == 0);
    CHECK(baton_connection_free(NULL) == 0);

    struct baton_config *config = baton_config_new_minimal();
    struct baton_connection *conn = baton_connection_new(BATON_CLIENT);
    CHECK(config != NULL && conn != NULL);

    /* Bad arguments. */
    REFUSED(baton_config_set_cipher_preferences(config, NULL) == -1, BATON_ERR_NULL);
    REFUSED(baton_config_set_cipher_preferences(config, "no-such-policy") == -1, BATON_ERR_USAGE);
    REFUSED(baton_config_set_cipher_preferences(config, "\xff\xfe") == -1, BATON_ERR_INVALID_ARGUMENT);
    REFUSED(baton_config_append_protocol_preference(config, (const uint8_t *)"h2", 0) == -1,
            BATON_ERR_INVALID_ARGUMENT);
    REFUSED(baton_config_append_protocol_preference(config, NULL, 2) == -1, BATON_ERR_NULL);
    REFUSED(baton_config_add_cert_chain_and_key(config, "not a pem", "nor this") == -1, BATON_ERR_USAGE);
    REFUSED(baton_config_set_verification_ca_location(config, NULL, NULL) == -1, BATON_ERR_USAGE);
    REFUSED(baton_negotiate(conn, NULL) == -1, BATON_ERR_NULL);
    REFUSED(baton_send(conn, buf, -1, &blocked) == -1, BATON_ERR_INVALID_ARGUMENT);
    REFUSED(baton_send(conn, NULL, 5, &blocked) == -1, BATON_ERR_NULL);
    REFUSED(baton_connection_set_fd(conn, -1) == -1, BATON_ERR_INVALID_ARGUMENT);
    /* Not an open fd: the dup fails, with the OS error in errno. */
    errno = 0;
    REFUSED(baton_connection_set_fd(conn, 1000) == -1, BATON_ERR_IO);
    CHECK(errno == EBADF);
    CHECK(baton_connection_is_ktls_enabled(conn, 5) == -1);

    /* Wrong order. */
    REFUSED(baton_shutdown(conn, &blocked) == -1, BATON_ERR_USAGE);
    REFUSED(baton_negotiate(conn, &blocked) == -1, BATON_ERR_USAGE);
    CHECK(strstr(baton_strerror_debug(baton_errno, "EN"), "baton_connection_set_config") != NULL);
    REFUSED(baton_connection_get_cipher(conn) == NULL, BATON_ERR_USAGE);
    REFUSED(baton_connection_get_actual_protocol_version(conn) == -1, BATON_ERR_USAGE);
    REFUSED(baton_connection_ktls_enable_send(conn) == -1, BATON_ERR_USAGE);
    REFUSED(baton_connection_get_alert(conn) == -1, BATON_ERR_USAGE);
    CHECK(baton_get_application_protocol(conn) == NULL);
    CHECK(baton_connection_is_ktls_enabled(conn, BATON_KTLS_SEND) == 0);
    struct baton_connection *server_side = baton_connection_new(BATON_SERVER);
    REFUSED(baton_set_server_name(server_side, "localhost") == -1, BATON_ERR_USAGE);

    /* Error texts. */
    CHECK(strcmp(baton_strerror_name(BATON_ERR_KTLS_UNSUPPORTED), "BATON_ERR_KTLS_UNSUPPORTED") == 0);
    CHECK(strstr(baton_strerror(BATON_ERR_CLOSED, "EN"), "closed") != NULL);
    CHECK(strstr(baton_strerror(BATON_ERR_CLOSED, "FR"), "Language") != NULL);
    CHECK(strcmp(baton_strerror_name(12345), "BATON_ERR_UNKNOWN") == 0);
    CHECK(baton_error_get_type(BATON_ERR_BLOCKED) == BATON_ERR_T_BLOCKED);
    pthread_t t;
    void *other = NULL;
    CHECK(pthread_create(&t, NULL, fresh_thread, NULL) == 0 && pthread_join(t, &other) == 0);
    CHECK((intptr_t)other == BATON_ERR_OK);
    CHECK(baton_errno == BATON_ERR_USAGE);

    /* A whole handshake over a socketpair, with the config freed first. */
    char *chain = read_file(argv[1]), *key = read_file(argv[2]);
    CHECK(chain && key);
    struct baton_config *server_config = baton_config_new_minimal();
    CHECK(baton_config_add_cert_chain_and_key(server_config, chain, key) == 0);
    CHECK(baton_config_append_protocol_preference(server_config, (const uint8_t *)"h2", 2) == 0);
    CHECK(baton_config_disable_x509_verification(config) == 0);
    CHECK(baton_config_append_protocol_preference(config, (const uint8_t *)"h2", 2) == 0);
    int fds[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
    CHECK(baton_connection_set_config(conn, config) == 0);
    CHECK(baton_connection_set_config(server_side, server_config) == 0);
    /* In use: the config can't change any more. */
    REFUSED(baton_config_set_cipher_preferences(config, "default") == -1, BATON_ERR_USAGE);
    CHECK(baton_config_free(config) == 0);
    CHECK(baton_config_free(server_config) == 0);
    CHECK(baton_connection_set_fd(conn, fds[0]) == 0);
    CHECK(baton_connection_set_fd(server_side, fds[1]) == 0);
    CHECK(baton_set_server_name(conn, "localhost") == 0);
    CHECK(handshake(conn, server_side) == 0);
    CHECK(baton_connection_get_actual_protocol_version(conn) == BATON_TLS13);
    const char *alpn = baton_get_application_protocol(server_side);
    CHECK(alpn && strcmp(alpn, "h2") == 0);
    const char *sni = baton_get_server_name(server_side);
    CHECK(sni && strcmp(sni, "localhost") == 0);
    /* The same string while the value stays. */
    CHECK(baton_connection_get_cipher(conn) == baton_connection_get_cipher(conn));
    REFUSED(baton_set_server_name(conn, "other") == -1, BATON_ERR_USAGE);
    CHECK(baton_send(conn, "ping", 4, &blocked) == 4);
    memset(buf, 0, sizeof buf);
    CHECK(baton_recv(server_side, buf, sizeof buf, &blocked) == 4 && memcmp(buf, "ping", 4) == 0);
    /* Nothing more yet: blocked on read, not failed. */
    REFUSED(baton_recv(server_side, buf, sizeof buf, &blocked) == -1, BATON_ERR_BLOCKED);
    CHECK(blocked == BATON_BLOCKED_ON_READ);
    /* The client's close_notify; the server then reads 0. */
    CHECK(baton_shutdown_send(conn, &blocked) == 0);
    CHECK(baton_recv(server_side, buf, sizeof buf, &blocked) == 0);

    /* Wipe makes it new: the handshake is gone, the strings with it. */
    CHECK(baton_connection_wipe(conn) == 0);
    REFUSED(baton_connection_get_cipher(conn) == NULL, BATON_ERR_USAGE);

    baton_connection_free(conn);
    baton_connection_free(server_side);
    close(fds[0]);
    close(fds[1]);
    free(chain);
    free(key);
    baton_cleanup();
    if (failures) {
        fprintf(stderr, "misuse: %d checks failed\n", failures);
        return 1;
    }
    printf("misuse: all checks passed\n");
    return 0;
}
