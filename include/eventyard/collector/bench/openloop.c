/* Open-loop, constant-rate HTTP/1.1 load generator of `eventyard bench collector` (wrk2's idea).
 *
 * Request i is due at t0 + i / rate whatever happened before; it goes out on the first idle
 * keep-alive connection, or waits in the backlog until one is free, and its latency counts from
 * that intended time, so a request that queued behind a stalled server is charged the wait
 * (no coordinated omission). One thread, epoll, one request in flight per connection.
 *
 * Written in C because the generator shares the two cores with the server it measures: the
 * asyncio version it replaced took 55-80 us of CPU per request (0.5-0.8 of a core at 4,000-8,500
 * req/s), as much as a collector worker. Built on demand by openloop.py with the system C
 * compiler; needs Linux 5.11+ and glibc 2.35+ (epoll_pwait2, for sub-millisecond timeouts).
 *
 * usage: openloop --port P --request-file F --rate R --seconds S --warmup W --connections C
 *                 --latency-file L
 * Writes the latencies (seconds, native doubles) of the requests due inside the window that were
 * answered 200 to L, and prints one JSON line of counts to stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_BYTES 65536
#define DRAIN_NS 30000000000LL /* after the window, wait at most this long for its answers */

struct conn {
    int fd;
    int busy;
    size_t written; /* bytes of the request sent so far (partial writes) */
    int64_t intended;
    size_t len;
    char buf[BUF_BYTES];
};

static const char *request;
static size_t request_len;
static int64_t record_from, record_until;
static double *latencies;
/* Idle connections, first in first out: every connection is used in turn, as the server's
 * accept spread them over its workers (a stack would load a few connections, and the server's
 * keep-alive timeout would close the rest). Closed ones are skipped when they come up. */
static struct conn **idle;
static int idle_head, idle_len, idle_cap, n_idle;

static void idle_push(struct conn *c) {
    idle[(idle_head + idle_len++) % idle_cap] = c;
    n_idle++;
}

static struct conn *idle_pop(void) {
    while (idle_len > 0) {
        struct conn *c = idle[idle_head];
        idle_head = (idle_head + 1) % idle_cap;
        idle_len--;
        if (c->fd >= 0) {
            n_idle--;
            return c;
        }
    }
    return NULL;
}
static size_t n_latencies, cap_latencies;
static long errors, lost, completed_any;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "openloop: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void record(int64_t intended, int64_t now, int status) {
    if (intended < record_from || intended >= record_until) return;
    if (status != 200) {
        errors++;
        return;
    }
    if (n_latencies == cap_latencies) {
        cap_latencies = cap_latencies ? cap_latencies * 2 : 65536;
        latencies = realloc(latencies, cap_latencies * sizeof(double));
        if (!latencies) die("realloc");
    }
    latencies[n_latencies++] = (double)(now - intended) / 1e9;
}

static int write_some(struct conn *c) {
    while (c->written < request_len) {
        ssize_t n = write(c->fd, request + c->written, request_len - c->written);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return 0;
            return -1;
        }
        c->written += (size_t)n;
    }
    return 0;
}

static int send_request(int ep, struct conn *c, int64_t intended) {
    c->busy = 1;
    c->intended = intended;
    c->written = 0;
    if (write_some(c) < 0) return -1;
    if (c->written < request_len) { /* socket full: finish when writable */
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
    return 0;
}

/* Parse complete responses in c->buf; returns how many completed, -1 on a malformed one. */
static int parse(struct conn *c, int64_t now) {
    int done = 0;
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!end) return done;
        size_t head = (size_t)(end - c->buf);
        long length = -1;
        for (char *line = memchr(c->buf, '\n', head); line && line < end; line = memchr(line, '\n', (size_t)(end - line))) {
            line++;
            if ((size_t)(end - line) > 15 && strncasecmp(line, "content-length:", 15) == 0) {
                length = strtol(line + 15, NULL, 10);
                break;
            }
        }
        if (length < 0 || c->len < 12) return -1;
        size_t total = head + 4 + (size_t)length;
        if (c->len < total) return done;
        int status = atoi(c->buf + 9);
        memmove(c->buf, c->buf + total, c->len - total);
        c->len -= total;
        c->busy = 0;
        completed_any++;
        record(c->intended, now, status);
        done++;
    }
}

static void usage(void) {
    fprintf(stderr,
            "usage: openloop --port P --request-file F --rate R --seconds S [--warmup W] "
            "[--connections C] --latency-file L\n");
    exit(2);
}

int main(int argc, char **argv) {
    int port = 0, connections = 64;
    double rate = 0, seconds = 0, warmup = 2.0;
    const char *request_file = NULL, *latency_file = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--request-file")) request_file = argv[i + 1];
        else if (!strcmp(argv[i], "--latency-file")) latency_file = argv[i + 1];
        else if (!strcmp(argv[i], "--rate")) rate = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) warmup = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--connections")) connections = atoi(argv[i + 1]);
        else usage();
    }
    if (port <= 0 || !request_file || !latency_file || rate <= 0 || seconds <= 0 || warmup < 0 ||
        connections <= 0)
        usage();

    FILE *rf = fopen(request_file, "rb");
    if (!rf) die("request file");
    static char req[1 << 20];
    request_len = fread(req, 1, sizeof req, rf);
    fclose(rf);
    request = req;

    int ep = epoll_create1(0);
    if (ep < 0) die("epoll_create1");
    struct conn *conns = calloc((size_t)connections, sizeof *conns);
    idle = calloc((size_t)connections, sizeof *idle);
    idle_cap = connections;
    if (!conns || !idle) die("calloc");
    int alive = connections;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only */
    for (int i = 0; i < connections; i++) {
        struct conn *c = &conns[i];
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c->fd < 0) die("socket");
        if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
        idle_push(c);
    }

    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    int64_t started = now_ns();
    int64_t t0 = started + 50000000LL;
    record_from = t0 + (int64_t)(warmup * 1e9);
    record_until = record_from + (int64_t)(seconds * 1e9);
    double interval = 1e9 / rate;
    long next_due = 0, next_send = 0, max_backlog = 0;
    int sending = 1;
    struct epoll_event events[64];
    for (;;) {
        int64_t now = now_ns();
        while (sending) {
            int64_t due = t0 + (int64_t)((double)next_due * interval);
            if (due >= record_until) {
                sending = 0;
                break;
            }
            if (due > now) break;
            next_due++;
        }
        while (next_send < next_due && n_idle > 0) {
            struct conn *c = idle_pop();
            if (send_request(ep, c, t0 + (int64_t)((double)next_send * interval)) < 0) die("write");
            next_send++;
        }
        if (next_due - next_send > max_backlog) max_backlog = next_due - next_send;
        if (!sending && (n_idle == alive || now > record_until + DRAIN_NS)) break;
        if (alive == 0) break;
        int64_t wait = 10000000LL;
        if (sending) {
            int64_t due = t0 + (int64_t)((double)next_due * interval);
            wait = due > now ? due - now : 0;
        }
        struct timespec timeout = {.tv_sec = wait / 1000000000LL, .tv_nsec = wait % 1000000000LL};
        int n = epoll_pwait2(ep, events, 64, &timeout, NULL);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_pwait2");
        }
        if (n > 0) now = now_ns();
        for (int k = 0; k < n; k++) {
            struct conn *c = events[k].data.ptr;
            if (c->fd < 0) continue;
            if (events[k].events & EPOLLOUT) {
                if (write_some(c) < 0) die("write");
                if (c->written == request_len) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
            }
            if (!(events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            int closed = 0, freed = 0;
            for (;;) {
                ssize_t got = read(c->fd, c->buf + c->len, BUF_BYTES - c->len);
                if (got > 0) {
                    c->len += (size_t)got;
                    int done = parse(c, now);
                    freed += done > 0;
                    if (done < 0) {
                        fprintf(stderr, "openloop: malformed response (no content-length?)\n");
                        return 1;
                    }
                    if (c->len == BUF_BYTES) {
                        fprintf(stderr, "openloop: response larger than %d bytes\n", BUF_BYTES);
                        return 1;
                    }
                    continue;
                }
                if (got < 0 && (errno == EAGAIN || errno == EINTR)) break;
                closed = 1;
                break;
            }
            if (closed) {
                lost++;
                if (c->busy && c->intended >= record_from && c->intended < record_until) errors++;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = -1;
                alive--;
                if (!c->busy) n_idle--; /* still queued: skipped when it comes up */
                continue;
            }
            if (freed && !c->busy) {
                if (next_send < next_due) { /* the backlog first: those requests are late already */
                    if (send_request(ep, c, t0 + (int64_t)((double)next_send * interval)) < 0) die("write");
                    next_send++;
                } else {
                    idle_push(c);
                }
            }
        }
    }
    getrusage(RUSAGE_SELF, &ru1);
    double wall = (double)(now_ns() - started) / 1e9;
    double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                 (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;

    FILE *lf = fopen(latency_file, "wb");
    if (!lf) die("latency file");
    if (n_latencies && fwrite(latencies, sizeof(double), n_latencies, lf) != n_latencies) die("write latencies");
    fclose(lf);
    printf("{\"sent\":%ld,\"errors\":%ld,\"lost_connections\":%ld,\"max_backlog\":%ld,"
           "\"cpu_seconds\":%.3f,\"wall_seconds\":%.3f}\n",
           next_send, errors, lost, max_backlog, cpu, wall);
    return 0;
}
