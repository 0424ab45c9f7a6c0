/* template: the smallest useful proof family, the one to copy.
 *
 * A device proves it is alive by sending reports. A report counts when, in this
 * order (each failure a rejection with its code):
 *
 *   its device is registered                      else unknown_device
 *   and active                                    else inactive_device
 *   it is a Heartbeat (or, when the network sets
 *   `kind`, a Custom report of that kind)         else wrong_kind
 *   it is stamped inside the window [start, end)  else outside_epoch
 *
 *   score(d) = min(counted(d), max_per_device) × 1,000,000 / max_per_device
 *
 * so a device that sends `max_per_device` good reports in an epoch scores 1.0, and
 * sending more earns nothing more (reports beyond the cap are not rejected, only
 * not counted).
 *
 * Parameters (the network's params object):
 *   max_per_device  integer ≥ 1, default 60
 *   kind            string, optional: count Custom reports of this kind instead
 *
 * Build: crates/families/build.sh template (commits template.wasm).
 */
#include "plinth_family.h"

static int score(const pf_input *in) {
    int64_t cap = 60;
    if (pf_param_i64(in, "max_per_device", &cap) < 0 || cap < 1) return PF_ERR_PARAMS;
    pf_bytes kind = {0, 0};
    int custom = pf_param_str(in, "kind", &kind);
    if (custom < 0 || (custom == 1 && (kind.len == 0 || kind.len > 32))) return PF_ERR_PARAMS;

    /* Reports come ascending by device: one pass, one device at a time, so scores
     * come out ascending by device as the output needs. */
    const uint8_t *current = NULL;
    uint64_t counted = 0;
    for (uint32_t i = 0; i < in->n_reports; i++) {
        const pf_report *r = &in->reports[i];
        if (current && pf_id_cmp(current, r->device) != 0) {
            pf_score(current, counted * PF_SCORE_ONE / (uint64_t)cap);
            counted = 0;
        }
        current = r->device;

        const pf_device *d = pf_find_device(in, r->device);
        pf_text why; /* not zeroed: only its first len bytes count */
    pf_text_clear(&why);
        if (!d) {
            pf_reject(r->hash, "unknown_device", NULL);
            continue;
        }
        if (!d->active) {
            pf_reject(r->hash, "inactive_device", NULL);
            continue;
        }
        int right_kind = custom == 1 ? r->kind == PF_CUSTOM && pf_bytes_same(r->custom_kind, kind)
                                     : r->kind == PF_HEARTBEAT;
        if (!right_kind) {
            pf_text_str(&why, custom == 1 ? "not a custom report of the network's kind" : "not a heartbeat");
            pf_reject(r->hash, "wrong_kind", &why);
            continue;
        }
        if (r->timestamp_ms < in->start_ms || r->timestamp_ms >= in->end_ms) {
            pf_text_str(&why, "stamped ");
            pf_text_u64(&why, r->timestamp_ms);
            pf_text_str(&why, ", the window is [");
            pf_text_u64(&why, in->start_ms);
            pf_text_str(&why, ", ");
            pf_text_u64(&why, in->end_ms);
            pf_text_str(&why, ")");
            pf_reject(r->hash, "outside_epoch", &why);
            continue;
        }
        if (counted < (uint64_t)cap) counted++;
    }
    if (current) pf_score(current, counted * PF_SCORE_ONE / (uint64_t)cap);
    return 0;
}

PF_FAMILY(score)
