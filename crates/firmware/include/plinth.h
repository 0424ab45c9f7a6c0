/*
 * plinth.h: build and sign Plinth device reports in C (libplinth_firmware.a).
 *
 * A device proves its work to the oracle with signed reports. Each
 * plinth_report_* function writes one, signed with the device's ed25519 key
 * (its 32-byte seed), into a buffer you own, and returns the number of bytes
 * written, or a negative PLINTH_ERR_* code. Publish the bytes as they are: MQTT
 * topic "plinth/reports/<device id>" (plinth_device_id), or hex in the oracle's
 * POST /v1/reports. Nothing is allocated; nothing is written on an error.
 *
 *   uint8_t report[PLINTH_MAX_REPORT_BYTES];
 *   int32_t n = plinth_report_reading(seed, chain, "weather", epoch, now_ms,
 *                                     seq, 21500, "celsius",
 *                                     report, sizeof report);
 *   if (n < 0) log(plinth_error_message(n));
 *   else mqtt_publish(topic, report, n);
 *
 * Arguments:
 *   seed, chain, challenge, draw, beacon   pointers to 32 bytes
 *   network, unit, kind                    NUL-terminated; at most their limit
 *                                          + 1 bytes are read looking for the NUL
 *   data, data_len                         custom body data (NULL if data_len 0)
 *   out, out_len                           the output; must not overlap an input
 *
 * chain is the chain identity (plinth_chain_identity of the node's GET
 * /v1/status "genesis_hash"), timestamp_ms milliseconds since the Unix epoch,
 * epoch the reward epoch of timestamp_ms (plinth_epoch_of, from the status's
 * "genesis_time_ms" and "epoch_ms"; the oracle refuses any other), seq a
 * number strictly increasing per device (keep it across reboots).
 *
 * The byte format: docs/report-format.md; test vectors every implementation
 * reproduces: docs/report-vectors.json. This header is kept by hand; a test
 * (crates/firmware/tests/header.rs) checks it against the library's exports.
 */
#ifndef PLINTH_H
#define PLINTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits (bytes). Every report fits in PLINTH_MAX_REPORT_BYTES. */
#define PLINTH_MAX_REPORT_BYTES 4096
#define PLINTH_SIGNATURE_LEN 64
#define PLINTH_MAX_NETWORK_LEN 32
#define PLINTH_MAX_UNIT_LEN 16
#define PLINTH_MAX_CUSTOM_KIND_LEN 32
#define PLINTH_MAX_CUSTOM_BYTES 3584
/* A device id's characters ("pdev1..."), without the NUL. */
#define PLINTH_DEVICE_ID_LEN 63

/* Error codes (negative return values). */
#define PLINTH_ERR_NULL -1              /* a required pointer is NULL */
#define PLINTH_ERR_BUFFER_TOO_SMALL -2  /* out is shorter than the report */
#define PLINTH_ERR_NETWORK -3           /* network not 1 to 32 of [a-z0-9-] */
#define PLINTH_ERR_UNIT -4              /* unit over 16 bytes or not UTF-8 */
#define PLINTH_ERR_CUSTOM_KIND -5       /* kind not 1 to 32 of [a-z0-9_-] */
#define PLINTH_ERR_CUSTOM_DATA -6       /* data over 3584 bytes */
#define PLINTH_ERR_REPORT_LENGTH -7     /* not a signed report's length */

/* The device's 32-byte public key. Returns 32 or PLINTH_ERR_NULL. */
int32_t plinth_public_key(const uint8_t *seed, uint8_t *out);

/* The device id, "pdev1..." (63 characters and a NUL: out_len >= 64), the
 * suffix of its MQTT topic. Returns 63 or a negative code. */
int32_t plinth_device_id(const uint8_t *seed, char *out, size_t out_len);

/* The chain identity (32 bytes) of the chain whose genesis hash is
 * genesis_hash. Returns 32 or PLINTH_ERR_NULL. */
int32_t plinth_chain_identity(const uint8_t *genesis_hash, uint8_t *out);

/* The reward epoch of timestamp_ms (0 before genesis or when epoch_ms is 0). */
uint64_t plinth_epoch_of(uint64_t genesis_time_ms, uint64_t epoch_ms, uint64_t timestamp_ms);

/* A heartbeat ("I am up"), for uptime networks. */
int32_t plinth_report_heartbeat(const uint8_t *seed, const uint8_t *chain, const char *network, uint64_t epoch, uint64_t timestamp_ms, uint64_t seq, uint8_t *out, size_t out_len);

/* The answer to a probe: the 32-byte challenge the oracle issued
 * (GET /v1/challenges/<device id>). */
int32_t plinth_report_probe_answer(const uint8_t *seed, const uint8_t *chain, const char *network, uint64_t epoch, uint64_t timestamp_ms, uint64_t seq, const uint8_t *challenge, uint8_t *out, size_t out_len);

/* A sensor reading: value_milli thousandths of unit (e.g. 21500, "celsius"). */
int32_t plinth_report_reading(const uint8_t *seed, const uint8_t *chain, const char *network, uint64_t epoch, uint64_t timestamp_ms, uint64_t seq, int64_t value_milli, const char *unit, uint8_t *out, size_t out_len);

/* A coverage beacon for round, naming the round's 32-byte draw; transmit
 * plinth_report_hash of the result over the air. */
int32_t plinth_report_beacon(const uint8_t *seed, const uint8_t *chain, const char *network, uint64_t epoch, uint64_t timestamp_ms, uint64_t seq, uint64_t round, const uint8_t *draw, int32_t tx_power_centi_dbm, uint8_t *out, size_t out_len);

/* A witness of the beacon whose 32-byte id was received. */
int32_t plinth_report_witness(const uint8_t *seed, const uint8_t *chain, const char *network, uint64_t epoch, uint64_t timestamp_ms, uint64_t seq, const uint8_t *beacon, int32_t rssi_centi_dbm, int32_t snr_centi_db, uint64_t frequency_hz, uint64_t received_ms, uint8_t *out, size_t out_len);

/* A custom body for a WebAssembly family: kind and data_len bytes of data. */
int32_t plinth_report_custom(const uint8_t *seed, const uint8_t *chain, const char *network, uint64_t epoch, uint64_t timestamp_ms, uint64_t seq, const char *kind, const uint8_t *data, size_t data_len, uint8_t *out, size_t out_len);

/* The 32-byte id of a signed report (the oracle's verdict names it; a beacon's
 * payload). Returns 32 or a negative code. */
int32_t plinth_report_hash(const uint8_t *report, size_t report_len, uint8_t *out);

/* A static description of a return code ("ok" for lengths). */
const char *plinth_error_message(int32_t code);

#ifdef __cplusplus
}
#endif

#endif /* PLINTH_H */
