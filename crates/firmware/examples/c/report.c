/*
 * report.c: a sensor's firmware loop, one pass of it, on a host. It builds a
 * reading with libplinth_firmware, signs it with the device key, writes the
 * signed report's bytes to a file (or stdout) and, given a broker, publishes
 * them with mosquitto_pub on the device's topic, plinth/reports/<device id>,
 * as a device's MQTT client would.
 *
 *   report -k SEED -g GENESIS_HASH -G GENESIS_TIME_MS -E EPOCH_MS -n NETWORK
 *          -s SEQ -v VALUE_MILLI -u UNIT [-o FILE] [-b HOST:PORT]
 *   report -k SEED -i          print the device id (register the device under it)
 *
 *   SEED            the device key's 32-byte seed, 64 hex characters
 *   GENESIS_HASH    the node's GET /v1/status "genesis_hash" (64 hex)
 *   GENESIS_TIME_MS, EPOCH_MS   its "genesis_time_ms" and "epoch_ms"
 *   NETWORK, UNIT   e.g. weather, celsius (the network's unit)
 *   SEQ             strictly increasing per device
 *   VALUE_MILLI     thousandths of UNIT, e.g. 21500
 *
 * On stderr it prints device=, topic=, epoch=, bytes= and hash= lines (the
 * hash is what the oracle's verdict names). Build (Makefile beside it):
 *
 *   cc -std=c11 -Wall -Wextra -Werror -I crates/firmware/include \
 *      crates/firmware/examples/c/report.c target/debug/libplinth_firmware.a \
 *      -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o report
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plinth.h"

static int usage(void) {
    fprintf(stderr,
            "usage: report -k SEED -g GENESIS_HASH -G GENESIS_TIME_MS -E EPOCH_MS "
            "-n NETWORK -s SEQ -v VALUE_MILLI -u UNIT [-o FILE] [-b HOST:PORT]\n"
            "       report -k SEED -i\n");
    return 2;
}

/* 64 hex characters to 32 bytes; 0 on success. */
static int hex32(const char *hex, uint8_t out[32]) {
    if (hex == NULL || strlen(hex) != 64) return -1;
    for (int i = 0; i < 32; i++) {
        unsigned int byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) return -1;
        out[i] = (uint8_t)byte;
    }
    return 0;
}

static void print_hex(const char *label, const uint8_t *bytes, size_t len) {
    fprintf(stderr, "%s=", label);
    for (size_t i = 0; i < len; i++) fprintf(stderr, "%02x", bytes[i]);
    fprintf(stderr, "\n");
}

/* A decimal number of the whole string; 0 on success. */
static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    if (s == NULL || *s == '\0' || *s == '-') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0') return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_i64(const char *s, int64_t *out) {
    char *end;
    if (s == NULL || *s == '\0') return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') return -1;
    *out = (int64_t)v;
    return 0;
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* mosquitto_pub -h HOST -p PORT -i DEVICE -q 1 -t TOPIC -f FILE; its exit
 * status. The client id is the device id: some brokers (the devnet's rumqttd)
 * take no empty one. */
static int publish(const char *broker, const char *device, const char *topic,
                   const char *file) {
    char host[256];
    const char *colon = strrchr(broker, ':');
    if (colon == NULL || (size_t)(colon - broker) >= sizeof host || colon == broker) {
        fprintf(stderr, "broker must be HOST:PORT, not %s\n", broker);
        return 2;
    }
    memcpy(host, broker, (size_t)(colon - broker));
    host[colon - broker] = '\0';
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        execlp("mosquitto_pub", "mosquitto_pub", "-h", host, "-p", colon + 1, "-i", device,
               "-q", "1", "-t", topic, "-f", file, (char *)NULL);
        perror("mosquitto_pub");
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0) {
        perror("waitpid");
        return 1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv) {
    const char *seed_hex = NULL, *genesis_hex = NULL, *network = NULL, *unit = NULL;
    const char *genesis_ms_s = NULL, *epoch_ms_s = NULL, *seq_s = NULL, *value_s = NULL;
    const char *out_file = NULL, *broker = NULL;
    int print_id = 0, opt;
    while ((opt = getopt(argc, argv, "k:g:G:E:n:s:v:u:o:b:i")) != -1) {
        switch (opt) {
        case 'k': seed_hex = optarg; break;
        case 'g': genesis_hex = optarg; break;
        case 'G': genesis_ms_s = optarg; break;
        case 'E': epoch_ms_s = optarg; break;
        case 'n': network = optarg; break;
        case 's': seq_s = optarg; break;
        case 'v': value_s = optarg; break;
        case 'u': unit = optarg; break;
        case 'o': out_file = optarg; break;
        case 'b': broker = optarg; break;
        case 'i': print_id = 1; break;
        default: return usage();
        }
    }

    uint8_t seed[32];
    if (hex32(seed_hex, seed) != 0) {
        fprintf(stderr, "-k: the seed must be 64 hex characters\n");
        return usage();
    }
    char device[PLINTH_DEVICE_ID_LEN + 1];
    int32_t rc = plinth_device_id(seed, device, sizeof device);
    if (rc < 0) {
        fprintf(stderr, "device id: %s\n", plinth_error_message(rc));
        return 1;
    }
    if (print_id) {
        printf("%s\n", device);
        return 0;
    }

    uint8_t genesis[32], chain[32];
    uint64_t genesis_ms, epoch_ms, seq;
    int64_t value_milli;
    if (hex32(genesis_hex, genesis) != 0 || parse_u64(genesis_ms_s, &genesis_ms) != 0 ||
        parse_u64(epoch_ms_s, &epoch_ms) != 0 || parse_u64(seq_s, &seq) != 0 ||
        parse_i64(value_s, &value_milli) != 0 || network == NULL || unit == NULL) {
        return usage();
    }
    plinth_chain_identity(genesis, chain);

    /* One pass of the loop: read the sensor (here: the argument), sign, send. */
    uint64_t timestamp_ms = now_ms();
    uint64_t epoch = plinth_epoch_of(genesis_ms, epoch_ms, timestamp_ms);
    uint8_t report[PLINTH_MAX_REPORT_BYTES];
    int32_t n = plinth_report_reading(seed, chain, network, epoch, timestamp_ms, seq,
                                      value_milli, unit, report, sizeof report);
    if (n < 0) {
        fprintf(stderr, "report: %s (%" PRId32 ")\n", plinth_error_message(n), n);
        return 1;
    }
    uint8_t hash[32];
    rc = plinth_report_hash(report, (size_t)n, hash);
    if (rc < 0) {
        fprintf(stderr, "hash: %s\n", plinth_error_message(rc));
        return 1;
    }
    char topic[sizeof "plinth/reports/" + PLINTH_DEVICE_ID_LEN];
    snprintf(topic, sizeof topic, "plinth/reports/%s", device);
    fprintf(stderr, "device=%s\ntopic=%s\nepoch=%" PRIu64 "\nbytes=%" PRId32 "\n", device,
            topic, epoch, n);
    print_hex("hash", hash, sizeof hash);

    if (out_file == NULL || strcmp(out_file, "-") == 0) {
        if (broker != NULL) {
            fprintf(stderr, "-b needs -o FILE (mosquitto_pub sends a file)\n");
            return 2;
        }
        return fwrite(report, 1, (size_t)n, stdout) == (size_t)n ? 0 : 1;
    }
    FILE *f = fopen(out_file, "wb");
    if (f == NULL || fwrite(report, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0) {
        perror(out_file);
        return 1;
    }
    return broker == NULL ? 0 : publish(broker, device, topic, out_file);
}
