/* The vehicles family (DIMO-like connected cars): an aftermarket device paired with
 * a vehicle reports trips; connected epochs build streak levels, trips with many
 * GPS fixes add quality points, and implausible or unpaired trips are refused with
 * a code. The body format, every rule and the state are specified in README.md
 * beside this file; this file follows it section by section. */

#include "plinth_family.h"

/* ---- the trip body (README: "Body") ---- */

#define TRIP_VERSION 1
#define MAX_FIXES 240
#define HEADER_BYTES (1 + 32 + 64 + 8 + 8 + 8 + 8 + 2)
#define FIX_BYTES 14

static const char PAIR_DOMAIN[] = "plinth/vehicle-pair/v1";
#define PAIR_DOMAIN_LEN (sizeof(PAIR_DOMAIN) - 1)

/* ---- the unpair body (README: "Unpairing") ---- */

#define UNPAIR_VERSION 1
#define UNPAIR_BYTES (1 + 32 + 64)
static const char UNPAIR_DOMAIN[] = "plinth/vehicle-unpair/v1";
#define UNPAIR_DOMAIN_LEN (sizeof(UNPAIR_DOMAIN) - 1)

typedef struct {
    uint32_t offset_ms;
    int32_t lat, lng;
    uint16_t speed_dkmh;
} fix;

typedef struct {
    const uint8_t *vehicle, *pairing;
    uint64_t trip_id, start_ms, odo_start, odo_end;
    uint32_t n_fixes;
    const uint8_t *fixes; /* n_fixes * FIX_BYTES, decoded by fix_at */
} trip;

static fix fix_at(const trip *t, uint32_t i) {
    pf_bytes b = {t->fixes + i * FIX_BYTES, FIX_BYTES};
    pf_reader r = pf_reader_of(b);
    fix f;
    f.offset_ms = pf_get_u32(&r);
    f.lat = pf_get_i32(&r);
    f.lng = pf_get_i32(&r);
    f.speed_dkmh = pf_get_u16(&r);
    return f;
}

/* ---- streak levels (README: "Streaks") ---- */

#define LEVELS 4
static const uint32_t STREAK_THRESHOLD[LEVELS] = {0, 4, 21, 36};
static const uint64_t STREAK_POINTS[LEVELS] = {0, 1000, 2000, 3000};

static uint32_t level_of(uint32_t streak) {
    uint32_t l = 0;
    while (l + 1 < LEVELS && streak >= STREAK_THRESHOLD[l + 1]) l++;
    return l;
}

/* ---- parameters (README: "Parameters") ---- */

typedef struct {
    int64_t max_speed_kmh, gps_slack_m, fixes_per_trip_cap, points_per_fix, quality_cap, forget_after,
        repair_cooldown;
} params;

static int param(const pf_input *in, const char *key, int64_t dflt, int64_t min, int64_t max, int64_t *out) {
    int found = pf_param_i64(in, key, out);
    if (found < 0) return 0;
    if (found == 0) *out = dflt;
    return *out >= min && *out <= max;
}

static int read_params(const pf_input *in, params *p) {
    return param(in, "max_speed_kmh", 250, 1, 1000, &p->max_speed_kmh) &&
           param(in, "gps_slack_m", 50, 0, 100000, &p->gps_slack_m) &&
           param(in, "fixes_per_trip_cap", 100, 1, MAX_FIXES, &p->fixes_per_trip_cap) &&
           param(in, "points_per_fix", 10, 0, 1000000, &p->points_per_fix) &&
           param(in, "quality_cap", 2000, 0, 1000000000, &p->quality_cap) &&
           param(in, "forget_after", 52, 1, 1000000, &p->forget_after) &&
           param(in, "repair_cooldown", 2, 0, 1000000, &p->repair_cooldown);
}

/* ---- the state (README: "State") ---- */

#define STATE_VERSION 1
#define ENTRY_BYTES (32 + 32 + 8 + 4 + 8 + 8)
#define MAX_ENTRIES 180000

typedef struct {
    uint8_t vehicle[32], device[32];
    uint64_t last_epoch; /* the last epoch the vehicle was connected (had an accepted trip) */
    uint32_t streak;     /* consecutive connected epochs, as the streak rules count them;
                            0: unpaired (`device` no longer holds the vehicle) */
    uint64_t last_trip;  /* the highest accepted trip id */
    uint64_t odometer;   /* the odometer at the end of the last accepted trip, metres */
} entry;

static int entry_cmp(const void *a, const void *b) {
    return pf_id_cmp(((const entry *)a)->vehicle, ((const entry *)b)->vehicle);
}

/* most recently connected first, then by vehicle: who is kept when over MAX_ENTRIES */
static int entry_recent_cmp(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->last_epoch != y->last_epoch) return x->last_epoch > y->last_epoch ? -1 : 1;
    return pf_id_cmp(x->vehicle, y->vehicle);
}

static int read_state(pf_bytes s, entry **out, uint32_t *n) {
    *out = 0;
    *n = 0;
    if (s.len == 0) return 1;
    pf_reader r = pf_reader_of(s);
    if (pf_get_u32(&r) != STATE_VERSION) return 0;
    (void)pf_get_u64(&r); /* the epoch that wrote it */
    uint32_t count = pf_get_u32(&r);
    if (r.bad || count > MAX_ENTRIES || (uint64_t)count * ENTRY_BYTES != (uint64_t)(r.end - r.p)) return 0;
    entry *e = pf_alloc(count * sizeof(entry) + 1);
    for (uint32_t i = 0; i < count; i++) {
        pf_memcpy(e[i].vehicle, pf_get_raw(&r, 32), 32);
        pf_memcpy(e[i].device, pf_get_raw(&r, 32), 32);
        e[i].last_epoch = pf_get_u64(&r);
        e[i].streak = pf_get_u32(&r);
        e[i].last_trip = pf_get_u64(&r);
        e[i].odometer = pf_get_u64(&r);
        if (i > 0 && pf_id_cmp(e[i - 1].vehicle, e[i].vehicle) >= 0) return 0;
    }
    if (!pf_reader_done(&r)) return 0;
    *out = e;
    *n = count;
    return 1;
}

static entry *find_entry(entry *e, uint32_t n, const uint8_t *vehicle) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = pf_id_cmp(e[mid].vehicle, vehicle);
        if (c == 0) return &e[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

/* The state's entries sorted by device, to find the vehicles a device held. */
static int entry_ptr_device_cmp(const void *a, const void *b) {
    const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
    int c = pf_id_cmp(x->device, y->device);
    return c ? c : pf_id_cmp(x->vehicle, y->vehicle);
}

/* The cooldown (README: "Rules", 4): the most recent epoch `device` was connected
   with a vehicle other than `vehicle`, if within `cooldown` epochs of `epoch`. */
static const entry *in_cooldown(entry *const *by_device, uint32_t n, const uint8_t *device,
                                const uint8_t *vehicle, uint64_t epoch, uint64_t cooldown) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (pf_id_cmp(by_device[mid]->device, device) < 0) lo = mid + 1;
        else hi = mid;
    }
    const entry *found = 0;
    for (uint32_t i = lo; i < n && pf_id_cmp(by_device[i]->device, device) == 0; i++) {
        const entry *e = by_device[i];
        if (pf_memcmp(e->vehicle, vehicle, 32) == 0) continue;
        if (e->last_epoch < epoch && epoch - e->last_epoch > cooldown) continue;
        if (!found || e->last_epoch > found->last_epoch) found = e;
    }
    return found;
}

/* ---- per report bookkeeping ---- */

typedef struct {
    const pf_report *rep;
    const pf_device *dev;
    trip t;
    int unpair;       /* an unpair report (its vehicle in t.vehicle), not a trip */
    const char *code; /* NULL while the report still counts */
    pf_text *reason;
} rec;

static pf_text *reject(rec *r, const char *code) {
    r->code = code;
    r->reason = pf_alloc(sizeof(pf_text));
    return r->reason;
}

static void text_hex(pf_text *t, const uint8_t *p, uint32_t n) {
    static const char digits[] = "0123456789abcdef";
    for (uint32_t i = 0; i < n && t->len + 2 <= sizeof(t->buf); i++) {
        t->buf[t->len++] = digits[p[i] >> 4];
        t->buf[t->len++] = digits[p[i] & 15];
    }
}

/* Decodes the body; on failure writes why into `why` and returns 0. */
static int decode_trip(pf_bytes data, trip *t, pf_text *why) {
    pf_reader r = pf_reader_of(data);
    uint8_t version = pf_get_u8(&r);
    if (r.bad || version != TRIP_VERSION) {
        pf_text_str(why, "trip body version is not 1");
        return 0;
    }
    t->vehicle = pf_get_raw(&r, 32);
    t->pairing = pf_get_raw(&r, 64);
    t->trip_id = pf_get_u64(&r);
    t->start_ms = pf_get_u64(&r);
    t->odo_start = pf_get_u64(&r);
    t->odo_end = pf_get_u64(&r);
    t->n_fixes = pf_get_u16(&r);
    if (r.bad) {
        pf_text_str(why, "trip body shorter than its header");
        return 0;
    }
    if (t->n_fixes < 2 || t->n_fixes > MAX_FIXES) {
        pf_text_str(why, "a trip has 2 to 240 fixes, not ");
        pf_text_u64(why, t->n_fixes);
        return 0;
    }
    t->fixes = pf_get_raw(&r, t->n_fixes * FIX_BYTES);
    if (!pf_reader_done(&r)) {
        pf_text_str(why, "trip body length does not match its fix count");
        return 0;
    }
    return 1;
}

/* Decodes an unpair body and checks its signature (README: "Unpairing"). */
static const char *check_unpair(const pf_input *in, const pf_device *dev, pf_bytes data, trip *t, pf_text *why) {
    pf_reader r = pf_reader_of(data);
    uint8_t version = pf_get_u8(&r);
    t->vehicle = pf_get_raw(&r, 32);
    const uint8_t *sig = pf_get_raw(&r, 64);
    if (r.bad || version != UNPAIR_VERSION || !pf_reader_done(&r)) {
        pf_text_str(why, "an unpair body is version 1, a vehicle and a signature (97 bytes)");
        return "malformed";
    }
    uint8_t msg[UNPAIR_DOMAIN_LEN + 72];
    pf_memcpy(msg, UNPAIR_DOMAIN, UNPAIR_DOMAIN_LEN);
    pf_memcpy(msg + UNPAIR_DOMAIN_LEN, dev->id, 32);
    pf_memcpy(msg + UNPAIR_DOMAIN_LEN + 32, t->vehicle, 32);
    for (int i = 0; i < 8; i++) msg[UNPAIR_DOMAIN_LEN + 64 + i] = (uint8_t)(in->epoch >> (8 * i));
    if (pf_ed25519_verify(dev->owner, msg, sizeof(msg), sig) != 1) {
        pf_text_str(why, "the unpairing is not signed by the device's owner for this device, vehicle and epoch");
        return "not_paired";
    }
    return 0;
}

static int pairing_ok(const pf_device *dev, const trip *t) {
    uint8_t msg[PAIR_DOMAIN_LEN + 64];
    pf_memcpy(msg, PAIR_DOMAIN, PAIR_DOMAIN_LEN);
    pf_memcpy(msg + PAIR_DOMAIN_LEN, dev->id, 32);
    pf_memcpy(msg + PAIR_DOMAIN_LEN + 32, t->vehicle, 32);
    return pf_ed25519_verify(dev->owner, msg, sizeof(msg), t->pairing) == 1;
}

/* The checks of one trip on its own (README: "Rules", 5 to 8). */
static void check_track(const pf_input *in, const params *p, rec *r) {
    const trip *t = &r->t;
    uint64_t max_dkmh = (uint64_t)p->max_speed_kmh * 10;
    fix prev = fix_at(t, 0);
    for (uint32_t i = 0; i < t->n_fixes; i++) {
        fix f = fix_at(t, i);
        if (i > 0 && f.offset_ms <= prev.offset_ms) {
            pf_text *w = reject(r, "malformed");
            pf_text_str(w, "fix times must increase: fix ");
            pf_text_u64(w, i);
            return;
        }
        int64_t d = i > 0 ? pf_geo_distance_m(prev.lat, prev.lng, f.lat, f.lng)
                          : pf_geo_distance_m(f.lat, f.lng, f.lat, f.lng);
        if (d < 0) {
            pf_text *w = reject(r, "malformed");
            pf_text_str(w, "fix ");
            pf_text_u64(w, i);
            pf_text_str(w, " has a latitude or longitude out of range");
            return;
        }
        if ((uint64_t)f.speed_dkmh > max_dkmh) {
            pf_text *w = reject(r, "over_speed");
            pf_text_str(w, "fix ");
            pf_text_u64(w, i);
            pf_text_str(w, " reports ");
            pf_text_u64(w, f.speed_dkmh / 10);
            pf_text_str(w, " km/h; the most is ");
            pf_text_i64(w, p->max_speed_kmh);
            return;
        }
        if (i > 0) {
            /* metres reachable in dt ms at max_speed_kmh: max_speed_kmh * dt / 3600 */
            uint64_t dt = (uint64_t)f.offset_ms - prev.offset_ms;
            uint64_t reach = (uint64_t)p->max_speed_kmh * dt + (uint64_t)p->gps_slack_m * 3600;
            if ((uint64_t)d * 3600 > reach) {
                pf_text *w = reject(r, "teleport");
                pf_text_str(w, "fixes ");
                pf_text_u64(w, i - 1);
                pf_text_str(w, " and ");
                pf_text_u64(w, i);
                pf_text_str(w, " are ");
                pf_text_i64(w, d);
                pf_text_str(w, " m apart in ");
                pf_text_u64(w, dt);
                pf_text_str(w, " ms (the most is ");
                pf_text_i64(w, p->max_speed_kmh);
                pf_text_str(w, " km/h)");
                return;
            }
        }
        prev = f;
    }
    uint64_t end = t->start_ms + prev.offset_ms;
    if (t->start_ms > UINT64_MAX - prev.offset_ms || end < in->start_ms || end >= in->end_ms ||
        end > r->rep->timestamp_ms) {
        pf_text *w = reject(r, "out_of_window");
        pf_text_str(w, "the trip runs from ");
        pf_text_u64(w, t->start_ms);
        pf_text_str(w, " to ");
        pf_text_u64(w, end);
        pf_text_str(w, " ms: it must end inside the epoch, and before the report");
        return;
    }
    if (t->odo_end < t->odo_start) {
        pf_text *w = reject(r, "odometer_back");
        pf_text_str(w, "the odometer goes back within the trip: ");
        pf_text_u64(w, t->odo_start);
        pf_text_str(w, " m to ");
        pf_text_u64(w, t->odo_end);
        pf_text_str(w, " m");
        return;
    }
}

/* One device's reports in this epoch (reports are ascending by device). */
typedef struct {
    const pf_device *dev;
    uint32_t first, end;     /* its reports: recs[first..end) */
    const uint8_t *vehicle;  /* the vehicle it claims this epoch, or NULL */
    int lost;                /* it lost the vehicle to another device (or nobody holds it) */
} group;

typedef struct {
    const uint8_t *vehicle, *device;
    uint32_t group;
} claim;

static int claim_cmp(const void *a, const void *b) {
    const claim *x = a, *y = b;
    int c = pf_id_cmp(x->vehicle, y->vehicle);
    return c ? c : pf_id_cmp(x->device, y->device);
}

static int vehicles(const pf_input *in) {
    params p;
    if (!read_params(in, &p)) return PF_ERR_PARAMS;
    entry *old;
    uint32_t n_old;
    if (!read_state(in->state, &old, &n_old)) return PF_ERR_STATE;

    uint32_t n = in->n_reports;
    rec *recs = pf_alloc(n * sizeof(rec) + 1);
    group *groups = pf_alloc(n * sizeof(group) + 1);
    uint32_t n_groups = 0;

    /* Rules 1 to 3: each report on its own: a registered active device, a trip body, a pairing. */
    for (uint32_t i = 0; i < n; i++) {
        rec *r = &recs[i];
        r->rep = &in->reports[i];
        if (n_groups > 0 && pf_id_cmp(groups[n_groups - 1].dev->id, r->rep->device) == 0) {
            r->dev = groups[n_groups - 1].dev;
        } else {
            r->dev = pf_find_device(in, r->rep->device); /* NULL: not in the registry, no group */
            if (r->dev) {
                groups[n_groups].dev = r->dev;
                groups[n_groups].first = i;
                n_groups++;
            }
        }
        if (r->dev) groups[n_groups - 1].end = i + 1;
        if (!r->dev || !r->dev->active) {
            pf_text_str(reject(r, "inactive_device"), "the device is not active in the registry");
            continue;
        }
        if (r->rep->kind == PF_CUSTOM && pf_bytes_eq(r->rep->custom_kind, "unpair")) {
            r->unpair = 1;
            pf_text why = {{0}, 0};
            const char *code = check_unpair(in, r->dev, r->rep->data, &r->t, &why);
            if (code) *reject(r, code) = why;
            continue;
        }
        if (r->rep->kind != PF_CUSTOM || !pf_bytes_eq(r->rep->custom_kind, "trip")) {
            pf_text_str(reject(r, "not_a_trip"), "the vehicles family counts only custom bodies of kind trip or unpair");
            continue;
        }
        pf_text why = {{0}, 0};
        if (!decode_trip(r->rep->data, &r->t, &why)) {
            *reject(r, "malformed") = why;
            continue;
        }
        if (!pairing_ok(r->dev, &r->t)) {
            pf_text *w = reject(r, "not_paired");
            pf_text_str(w, "no valid pairing of this device with vehicle ");
            text_hex(w, r->t.vehicle, 8);
            pf_text_str(w, " signed by the device's owner");
            continue;
        }
    }

    /* Unpairing: a device's owner releases the vehicle the device holds, before
       any trip of the epoch is counted. */
    for (uint32_t i = 0; i < n; i++) {
        rec *r = &recs[i];
        if (!r->unpair || r->code) continue;
        entry *e = find_entry(old, n_old, r->t.vehicle);
        if (!e || e->streak == 0 || pf_id_cmp(e->device, r->dev->id) != 0) {
            pf_text *w = reject(r, "not_holder");
            pf_text_str(w, "vehicle ");
            text_hex(w, r->t.vehicle, 8);
            pf_text_str(w, " is not paired with this device");
            continue;
        }
        e->streak = 0;
    }

    /* Re-pairing cooldown: the state's entries by device. */
    entry **by_device = pf_alloc(n_old * sizeof(entry *) + 1);
    for (uint32_t i = 0; i < n_old; i++) by_device[i] = &old[i];
    pf_sort(by_device, n_old, sizeof(entry *), entry_ptr_device_cmp);

    /* Rule 4a: one vehicle per device per epoch: the vehicle of its first paired trip;
       none while the device is in its cooldown after another vehicle. */
    claim *claims = pf_alloc(n_groups * sizeof(claim) + 1);
    uint32_t n_claims = 0;
    for (uint32_t g = 0; g < n_groups; g++) {
        group *gr = &groups[g];
        const entry *cool = 0;
        for (uint32_t i = gr->first; i < gr->end; i++) {
            rec *r = &recs[i];
            if (r->code || r->unpair) continue;
            if (!gr->vehicle && !cool) {
                cool = in_cooldown(by_device, n_old, gr->dev->id, r->t.vehicle, in->epoch,
                                   (uint64_t)p.repair_cooldown);
            }
            if (cool) {
                pf_text *w = reject(r, "pairing_cooldown");
                pf_text_str(w, "the device was connected with vehicle ");
                text_hex(w, cool->vehicle, 8);
                pf_text_str(w, " in epoch ");
                pf_text_u64(w, cool->last_epoch);
                pf_text_str(w, "; it pairs with another vehicle after ");
                pf_text_i64(w, p.repair_cooldown);
                pf_text_str(w, " epochs without one");
                continue;
            }
            if (!gr->vehicle) {
                gr->vehicle = r->t.vehicle;
                claims[n_claims].vehicle = gr->vehicle;
                claims[n_claims].device = gr->dev->id;
                claims[n_claims].group = g;
                n_claims++;
            } else if (pf_memcmp(gr->vehicle, r->t.vehicle, 32) != 0) {
                pf_text *w = reject(r, "multiple_vehicles");
                pf_text_str(w, "the device already reported vehicle ");
                text_hex(w, gr->vehicle, 8);
                pf_text_str(w, " this epoch, not ");
                text_hex(w, r->t.vehicle, 8);
            }
        }
    }

    /* Rule 4b: one device per vehicle per epoch: with several claimants the device
       holding the vehicle in the state keeps it; without it, nobody does. */
    pf_sort(claims, n_claims, sizeof(claim), claim_cmp);
    for (uint32_t a = 0; a < n_claims;) {
        uint32_t b = a + 1;
        while (b < n_claims && pf_memcmp(claims[a].vehicle, claims[b].vehicle, 32) == 0) b++;
        if (b - a > 1) {
            entry *e = find_entry(old, n_old, claims[a].vehicle);
            for (uint32_t c = a; c < b; c++) {
                if (!e || e->streak == 0 || pf_id_cmp(e->device, claims[c].device) != 0)
                    groups[claims[c].group].lost = 1;
            }
        }
        a = b;
    }

    /* Rules 5 to 10 in report order: a device's trips are ascending by seq. */
    entry *upd = pf_alloc(n_groups * sizeof(entry) + 1);
    uint32_t n_upd = 0;
    for (uint32_t g = 0; g < n_groups; g++) {
        group *gr = &groups[g];
        if (!gr->vehicle) continue;
        entry *e = find_entry(old, n_old, gr->vehicle);
        uint64_t last_trip = e ? e->last_trip : 0;
        uint64_t odometer = e ? e->odometer : 0;
        int seen_trip = e != 0;
        uint32_t accepted = 0;
        uint64_t quality = 0;
        for (uint32_t i = gr->first; i < gr->end; i++) {
            rec *r = &recs[i];
            if (r->code || r->unpair) continue;
            if (gr->lost) {
                pf_text *w = reject(r, "vehicle_conflict");
                pf_text_str(w, "vehicle ");
                text_hex(w, gr->vehicle, 8);
                pf_text_str(w, " was reported by several devices this epoch and is held by another or by none");
                continue;
            }
            check_track(in, &p, r);
            if (r->code) continue;
            if (seen_trip && r->t.trip_id <= last_trip) {
                pf_text *w = reject(r, "replayed_trip");
                pf_text_str(w, "trip id ");
                pf_text_u64(w, r->t.trip_id);
                pf_text_str(w, " is not above the vehicle's last trip id ");
                pf_text_u64(w, last_trip);
                continue;
            }
            if (r->t.odo_start < odometer) {
                pf_text *w = reject(r, "odometer_back");
                pf_text_str(w, "the trip starts at ");
                pf_text_u64(w, r->t.odo_start);
                pf_text_str(w, " m, below the vehicle's last odometer ");
                pf_text_u64(w, odometer);
                pf_text_str(w, " m");
                continue;
            }
            seen_trip = 1;
            last_trip = r->t.trip_id;
            odometer = r->t.odo_end;
            accepted++;
            uint64_t f = r->t.n_fixes;
            if (f > (uint64_t)p.fixes_per_trip_cap) f = (uint64_t)p.fixes_per_trip_cap;
            quality += f * (uint64_t)p.points_per_fix;
            if (quality > (uint64_t)p.quality_cap) quality = (uint64_t)p.quality_cap;
        }
        if (accepted == 0) continue;

        /* Streaks: the vehicle is connected this epoch with this device. */
        uint32_t streak = 1;
        if (e && e->streak > 0 && pf_id_cmp(e->device, gr->dev->id) == 0) {
            if (in->epoch > e->last_epoch) {
                uint64_t missed = in->epoch - e->last_epoch - 1;
                uint64_t drops = missed / 3;
                streak = e->streak;
                if (drops > 0) {
                    uint32_t l = level_of(streak);
                    l = drops >= l ? 0 : l - (uint32_t)drops;
                    streak = STREAK_THRESHOLD[l];
                }
                if (streak < UINT32_MAX) streak++;
            } else {
                streak = e->streak; /* the same epoch again: counted once */
            }
        }
        uint64_t score = STREAK_POINTS[level_of(streak)] + quality;
        pf_score(gr->dev->id, score);

        entry *u = &upd[n_upd++];
        pf_memcpy(u->vehicle, gr->vehicle, 32);
        pf_memcpy(u->device, gr->dev->id, 32);
        u->last_epoch = in->epoch;
        u->streak = streak;
        u->last_trip = last_trip;
        u->odometer = odometer;
    }

    for (uint32_t i = 0; i < n; i++) {
        if (recs[i].code) pf_reject(recs[i].rep->hash, recs[i].code, recs[i].reason);
    }

    /* The next state: the entries updated this epoch, and the others not yet forgotten. */
    entry *next = pf_alloc((n_old + n_upd) * sizeof(entry) + 1);
    uint32_t n_next = 0;
    uint8_t *replaced = pf_alloc(n_old + 1);
    for (uint32_t i = 0; i < n_upd; i++) {
        entry *e = find_entry(old, n_old, upd[i].vehicle);
        if (e) replaced[e - old] = 1;
        next[n_next++] = upd[i];
    }
    for (uint32_t i = 0; i < n_old; i++) {
        entry *e = &old[i];
        if (replaced[i]) continue;
        if (in->epoch > e->last_epoch && in->epoch - e->last_epoch >= (uint64_t)p.forget_after) continue;
        next[n_next++] = *e;
    }
    if (n_next > MAX_ENTRIES) {
        pf_sort(next, n_next, sizeof(entry), entry_recent_cmp);
        n_next = MAX_ENTRIES;
    }
    pf_sort(next, n_next, sizeof(entry), entry_cmp);

    pf_writer w = {0, 0, 0};
    pf_put_u32(&w, STATE_VERSION);
    pf_put_u64(&w, in->epoch);
    pf_put_u32(&w, n_next);
    for (uint32_t i = 0; i < n_next; i++) {
        pf_put_raw(&w, next[i].vehicle, 32);
        pf_put_raw(&w, next[i].device, 32);
        pf_put_u64(&w, next[i].last_epoch);
        pf_put_u32(&w, next[i].streak);
        pf_put_u64(&w, next[i].last_trip);
        pf_put_u64(&w, next[i].odometer);
    }
    pf_set_state(w.buf, w.len);
    return 0;
}

PF_FAMILY(vehicles)
