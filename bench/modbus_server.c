/* The benchmark's Modbus TCP gateways: one process on libmodbus serving the APC
 * Smart-UPS map (the same words as tests/lib/modbus_ups.py) on many loopback addresses
 * at one port, answering any unit id, with poll() over every listener and connection.
 * Python answers a few thousand requests a second here; this answers them as fast as
 * the clients ask, so the benchmark measures the clients.
 *
 *     modbus_server PORT FIRST_ADDRESS COUNT STATS_FILE
 *     modbus_server 5020 127.0.1.1 50 /tmp/stats   # 127.0.1.1 ... 127.0.1.50
 *
 * On SIGUSR1 it writes "requests N registers M connections C" (totals so far: requests
 * answered, registers they read, connections accepted) to STATS_FILE; SIGTERM stops it.
 * Prints "listening" on stderr when every address is bound. */
#include <arpa/inet.h>
#include <errno.h>
#include <modbus.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 4096

static volatile sig_atomic_t dump_stats, stop;
static void on_usr1(int sig) {
    (void)sig;
    dump_stats = 1;
}
static void on_term(int sig) {
    (void)sig;
    stop = 1;
}

static void put_string(uint16_t* regs, int addr, int count, const char* text) {
    size_t n = strlen(text);
    for (int i = 0; i < count; i++) {
        unsigned hi = (size_t)(2 * i) < n ? (unsigned char)text[2 * i] : 0;
        unsigned lo = (size_t)(2 * i + 1) < n ? (unsigned char)text[2 * i + 1] : 0;
        regs[addr + i] = (uint16_t)(hi << 8 | lo);
    }
}

static void fill_apc_map(uint16_t* regs) {
    regs[1] = 1 << 1;      /* status: online */
    regs[129] = 2400;      /* runtime, s (uint32 at 128-129) */
    regs[130] = 100 * 512; /* charge % */
    regs[131] = 1747;      /* battery 54.6 V * 32 */
    regs[135] = 3648;      /* battery 28.5 C * 128 */
    regs[136] = 37 * 256;  /* load % */
    regs[140] = 166;       /* output 5.2 A * 32 */
    regs[142] = 14726;     /* output 230.1 V * 64 */
    regs[144] = 50 * 128;  /* output Hz */
    regs[151] = 14707;     /* input 229.8 V * 64 */
    put_string(regs, 516, 8, "UPS 15.5");
    put_string(regs, 532, 16, "Smart-UPS SRT 3000");
    put_string(regs, 564, 8, "AS1234567890");
    regs[588] = 3000;
    regs[589] = 2700;
}

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s PORT FIRST_ADDRESS COUNT STATS_FILE\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]), count = atoi(argv[3]);
    const char* stats_path = argv[4];
    struct in_addr first;
    if (inet_pton(AF_INET, argv[2], &first) != 1 || (ntohl(first.s_addr) >> 24) != 127 ||
        count < 1 || count > 1000) {
        fprintf(stderr, "modbus_server: FIRST_ADDRESS must be 127.x.y.z, COUNT 1-1000\n");
        return 2;
    }
    signal(SIGUSR1, on_usr1);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);

    static struct pollfd fds[MAX_FDS];
    int nfds = 0;
    for (int i = 0; i < count; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        sa.sin_addr.s_addr = htonl(ntohl(first.s_addr) + (uint32_t)i);
        if (bind(s, (struct sockaddr*)&sa, sizeof sa) != 0 || listen(s, 512) != 0) {
            perror("modbus_server: bind/listen");
            return 1;
        }
        fds[nfds++] = (struct pollfd){.fd = s, .events = POLLIN};
    }
    int listeners = nfds;

    modbus_t* ctx = modbus_new_tcp("127.0.0.1", port); /* only for framing: sockets are ours */
    modbus_mapping_t* map = modbus_mapping_new(1024, 1024, 1024, 1024);
    if (!ctx || !map) {
        fprintf(stderr, "modbus_server: %s\n", modbus_strerror(errno));
        return 1;
    }
    fill_apc_map(map->tab_registers);
    memcpy(map->tab_input_registers, map->tab_registers, 1024 * sizeof(uint16_t));
    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    unsigned long long requests = 0, registers = 0, connections = 0;
    fprintf(stderr, "modbus_server: listening on %d addresses from %s, port %d\n", count, argv[2],
            port);

    while (!stop) {
        if (dump_stats) {
            dump_stats = 0;
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s.tmp", stats_path);
            FILE* f = fopen(tmp, "w");
            if (f) {
                fprintf(f, "requests %llu registers %llu connections %llu\n", requests, registers,
                        connections);
                fclose(f);
                rename(tmp, stats_path);
            }
        }
        int ready = poll(fds, (nfds_t)nfds, 100);
        if (ready < 0) {
            if (errno == EINTR) continue;
            perror("modbus_server: poll");
            return 1;
        }
        for (int i = 0; i < nfds && ready > 0; i++) {
            if (!fds[i].revents) continue;
            ready--;
            if (i < listeners) {
                int c = accept(fds[i].fd, NULL, NULL);
                if (c < 0) continue;
                if (nfds == MAX_FDS) {
                    close(c);
                    continue;
                }
                connections++;
                fds[nfds++] = (struct pollfd){.fd = c, .events = POLLIN};
                continue;
            }
            modbus_set_socket(ctx, fds[i].fd);
            int len = modbus_receive(ctx, query);
            if (len > 0) {
                int fc = query[7];
                if (fc == 3 || fc == 4) registers += (unsigned)(query[10] << 8 | query[11]);
                requests++;
                modbus_reply(ctx, query, len, map);
            } else if (len < 0) { /* closed or broken: forget it */
                close(fds[i].fd);
                fds[i] = fds[--nfds];
                fds[nfds].revents = 0;
                i--;
            }
        }
    }
    modbus_mapping_free(map);
    modbus_free(ctx);
    return 0;
}
