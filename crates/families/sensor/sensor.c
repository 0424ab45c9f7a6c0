/* sensor: the sensor family of plinth_proofs::sensor (crates/proofs/src/sensor.rs),
 * re-implemented as a module: the same parameters and defaults, the same integer
 * arithmetic and rounding, the same scores. The tests compare the two on random
 * epochs.
 *
 * A reading is valid when, in this order (each failure a rejection with its code):
 *
 *   its device is registered                       else unknown_device
 *   and active                                     else inactive_device
 *   it is a Reading                                else wrong_kind
 *   stamped inside the window [start, end)         else outside_epoch
 *   not older than max_age_ms at the window's end  else stale
 *   in the network's unit                          else wrong_unit
 *   within [min, max]                              else out_of_range
 *
 *   value(d)      = lower median of d's valid readings (thousandths)
 *   home(d)       = d's location taken to `resolution` (parent; centre child if coarser)
 *   neighbours(d) = every other device with a valid reading whose home is in the
 *                   k = 1 disk of home(d)
 *   deviation     = |value(d) − lower median of value(neighbours(d))|
 *   agreement     = 1 if deviation ≤ tolerance, 0 if ≥ max_deviation, linear between;
 *                   1 without neighbours
 *   readings      = min(1, valid readings / expected_readings)
 *   stacked(d)    = devices with a valid reading in d's `density_resolution` cell
 *   score         = agreement × readings / stacked(d)  (0 if stacked(d) > max_stacked)
 *
 * Parameters: unit (string, 1..=16 bytes, required), min and max (numbers with at
 * most 3 decimal places, required, min ≤ max), resolution (0..=15, default 7),
 * max_age_ms (≥ 1 or null, default none), tolerance_milli (default 2000) ≤
 * max_deviation_milli (default 10000), expected_readings (≥ 1, default 1),
 * density_resolution (0..=15, default 10), max_stacked (default 4; 0 counts as 1).
 * Anything wrong fails the epoch with PF_ERR_PARAMS.
 *
 * Cost: readings are grouped by device as they come (the input is ascending by
 * device) and each group sorted; the devices' homes are sorted once; each occupied
 * cell merges the sorted values of its disk once, and each device finds its
 * neighbours' median there with one binary search. O(n log n); about 100 bytes of
 * memory per valid reading and per scored device, besides the input.
 */
#include "plinth_family.h"

typedef struct {
    pf_bytes unit;
    int64_t min_milli, max_milli;
    int32_t resolution, density_resolution;
    int has_max_age;
    uint64_t max_age_ms;
    uint64_t tolerance_milli, max_deviation_milli, expected_readings, max_stacked;
} params;

/* serde's u64 field with a default: absent → the default; present → an integer
 * within u64, else an error. */
static int u64_or(const pf_input *in, const char *key, uint64_t dflt, uint64_t *out) {
    *out = dflt;
    return pf_param_u64(in, key, out) >= 0;
}

static int parse_params(const pf_input *in, params *p) {
    if (pf_param_str(in, "unit", &p->unit) != 1 || p->unit.len == 0 || p->unit.len > 16) return 0;
    if (pf_param_milli(in, "min", &p->min_milli) != 1) return 0;
    if (pf_param_milli(in, "max", &p->max_milli) != 1) return 0;
    if (p->min_milli > p->max_milli) return 0;
    uint64_t res, dres;
    if (!u64_or(in, "resolution", 7, &res) || res > 15) return 0;
    if (!u64_or(in, "density_resolution", 10, &dres) || dres > 15) return 0;
    p->resolution = (int32_t)res;
    p->density_resolution = (int32_t)dres;
    p->has_max_age = 0;
    if (!pf_param_null(in, "max_age_ms")) {
        int found = pf_param_u64(in, "max_age_ms", &p->max_age_ms);
        if (found < 0) return 0;
        if (found == 1) {
            if (p->max_age_ms == 0) return 0;
            p->has_max_age = 1;
        }
    }
    if (!u64_or(in, "tolerance_milli", 2000, &p->tolerance_milli)) return 0;
    if (!u64_or(in, "max_deviation_milli", 10000, &p->max_deviation_milli)) return 0;
    if (p->tolerance_milli > p->max_deviation_milli) return 0;
    if (!u64_or(in, "expected_readings", 1, &p->expected_readings) || p->expected_readings == 0) return 0;
    if (!u64_or(in, "max_stacked", 4, &p->max_stacked)) return 0;
    if (p->max_stacked == 0) p->max_stacked = 1;
    return 1;
}

/* SensorParams::agreement */
static uint64_t agreement(const params *p, uint64_t deviation) {
    if (deviation <= p->tolerance_milli) return PF_SCORE_ONE;
    if (deviation >= p->max_deviation_milli) return 0;
    return pf_mul_div(p->max_deviation_milli - deviation, PF_SCORE_ONE,
                      p->max_deviation_milli - p->tolerance_milli);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* A valid reading: its device (index into in->devices) and value. */
typedef struct {
    int64_t value;
    uint32_t device;
} reading;

static int cmp_reading(const void *a, const void *b) {
    const reading *x = (const reading *)a, *y = (const reading *)b;
    if (x->device != y->device) return x->device < y->device ? -1 : 1;
    return x->value < y->value ? -1 : x->value > y->value;
}

/* A device with a valid reading whose home is a valid cell. */
typedef struct {
    uint64_t cell;
    int64_t value;
    uint32_t sensor;
} home;

/* A density cell and a sensor in it. */
typedef struct {
    uint64_t cell;
    uint32_t sensor;
} crowd;

/* Stable LSD radix sort of the n records at `a` by the 64-bit key KEY(record):
 * one pass over the keys counts all eight byte digits, then one scatter pass per
 * digit that is not the same in every key (H3 cells of one resolution share most
 * of theirs). It replaces pf_sort's comparator calls (an indirect call each, and
 * about n log n of them) for the two big sorts of a million-device epoch. The
 * order is pf_sort's: both are stable. */
#define RADIX_SORT(T, a, n, KEY)                                                   \
    do {                                                                           \
        T *src_ = (a), *dst_ = (T *)pf_alloc((n) * (uint32_t)sizeof(T));           \
        static uint32_t count_[8][256];                                            \
        pf_memset(count_, 0, sizeof count_);                                       \
        for (uint32_t i_ = 0; i_ < (n); i_++) {                                    \
            uint64_t k_ = KEY(src_[i_]);                                           \
            for (int d_ = 0; d_ < 8; d_++) count_[d_][(k_ >> (8 * d_)) & 255]++;   \
        }                                                                          \
        for (int d_ = 0; d_ < 8; d_++) {                                           \
            uint32_t *c_ = count_[d_], at_ = 0;                                    \
            int same_ = 0;                                                         \
            for (int b_ = 0; b_ < 256; b_++) {                                     \
                if (c_[b_] == (n)) same_ = 1;                                      \
                uint32_t here_ = c_[b_];                                           \
                c_[b_] = at_;                                                      \
                at_ += here_;                                                      \
            }                                                                      \
            if (same_) continue;                                                   \
            for (uint32_t i_ = 0; i_ < (n); i_++)                                  \
                dst_[c_[(KEY(src_[i_]) >> (8 * d_)) & 255]++] = src_[i_];          \
            T *t_ = src_;                                                          \
            src_ = dst_;                                                           \
            dst_ = t_;                                                             \
        }                                                                          \
        if (src_ != (a)) pf_memcpy((a), src_, (n) * (uint32_t)sizeof(T));          \
    } while (0)

#define CROWD_CELL(x) ((x).cell)
#define HOME_CELL(x) ((x).cell)
/* A value's order as an unsigned key: the sign bit flipped. */
#define HOME_VALUE(x) ((uint64_t)(x).value ^ 0x8000000000000000ULL)

/* An occupied home cell: its run [start, end) in the sorted homes. */
typedef struct {
    uint64_t cell;
    uint32_t start, end;
} occupied;

static int64_t find_cell(const occupied *cells, uint32_t n, uint64_t cell) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cells[mid].cell == cell) return mid;
        if (cells[mid].cell < cell)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The lower median of sorted[0..m) with one occurrence of `own` (which it holds)
 * removed: 1 and the median, or 0 if nothing is left (median_without). */
static int median_without(const int64_t *sorted, uint32_t m, int64_t own, int64_t *median) {
    if (m < 2) return 0;
    uint32_t j = (m - 2) / 2;
    uint32_t lo = 0, hi = m; /* the first index whose value is not below own */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < own)
            lo = mid + 1;
        else
            hi = mid;
    }
    *median = lo > j ? sorted[j] : sorted[j + 1];
    return 1;
}

/* pf_id_cmp, 8 bytes at a time: the report loop compares ids all the time. */
static int id_cmp(const uint8_t *a, const uint8_t *b) {
    for (int k = 0; k < 32; k += 8) {
        uint64_t x, y;
        __builtin_memcpy(&x, a + k, 8);
        __builtin_memcpy(&y, b + k, 8);
        if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
    }
    return 0;
}

/* pf_find_device with id_cmp. */
static const pf_device *find_device(const pf_input *in, const uint8_t *id) {
    uint32_t lo = 0, hi = in->n_devices;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = id_cmp(in->devices[mid].id, id);
        if (c == 0) return &in->devices[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Checks one report: 1 and its value if it is a valid reading, else rejects it. */
static int check(const pf_input *in, const params *p, const pf_report *r, const pf_device *d, int64_t *value) {
    pf_text why; /* not zeroed: only its first len bytes count */
    pf_text_clear(&why);
    if (!d) {
        pf_reject(r->hash, "unknown_device", NULL);
        return 0;
    }
    if (!d->active) {
        pf_reject(r->hash, "inactive_device", NULL);
        return 0;
    }
    if (r->kind != PF_READING) {
        pf_text_str(&why, "not a reading");
        pf_reject(r->hash, "wrong_kind", &why);
        return 0;
    }
    uint64_t ts = r->timestamp_ms;
    if (ts < in->start_ms || ts >= in->end_ms) {
        pf_text_str(&why, "stamped ");
        pf_text_u64(&why, ts);
        pf_text_str(&why, ", outside [");
        pf_text_u64(&why, in->start_ms);
        pf_text_str(&why, ", ");
        pf_text_u64(&why, in->end_ms);
        pf_text_str(&why, ")");
        pf_reject(r->hash, "outside_epoch", &why);
        return 0;
    }
    if (p->has_max_age) {
        uint64_t age = in->end_ms - ts;
        if (age > p->max_age_ms) {
            pf_text_str(&why, "age ");
            pf_text_u64(&why, age);
            pf_text_str(&why, " ms, at most ");
            pf_text_u64(&why, p->max_age_ms);
            pf_reject(r->hash, "stale", &why);
            return 0;
        }
    }
    if (!pf_bytes_same(r->unit, p->unit)) {
        pf_text_str(&why, "expected ");
        pf_text_bytes(&why, p->unit.ptr, p->unit.len);
        pf_text_str(&why, ", found ");
        pf_text_bytes(&why, r->unit.ptr, r->unit.len);
        pf_reject(r->hash, "wrong_unit", &why);
        return 0;
    }
    if (r->value_milli < p->min_milli || r->value_milli > p->max_milli) {
        pf_text_milli(&why, r->value_milli);
        pf_text_str(&why, " outside [");
        pf_text_milli(&why, p->min_milli);
        pf_text_str(&why, ", ");
        pf_text_milli(&why, p->max_milli);
        pf_text_str(&why, "]");
        pf_reject(r->hash, "out_of_range", &why);
        return 0;
    }
    *value = r->value_milli;
    return 1;
}

static int score(const pf_input *in) {
    params p;
    if (!parse_params(in, &p)) return PF_ERR_PARAMS;

    /* 1. Check every report; keep the valid readings (device, value). */
    reading *valid = (reading *)pf_alloc(in->n_reports * (uint32_t)sizeof(reading));
    uint32_t n_valid = 0;
    int grouped = 1; /* valid readings come grouped by device, ascending */
    const uint8_t *last_id = NULL;
    const pf_device *last_device = NULL;
    for (uint32_t i = 0; i < in->n_reports; i++) {
        const pf_report *r = &in->reports[i];
        if (!last_id || id_cmp(last_id, r->device) != 0) {
            last_id = r->device;
            last_device = find_device(in, r->device);
        }
        int64_t value;
        if (!check(in, &p, r, last_device, &value)) continue;
        uint32_t device = (uint32_t)(last_device - in->devices);
        if (n_valid && valid[n_valid - 1].device > device) grouped = 0;
        valid[n_valid].value = value;
        valid[n_valid].device = device;
        n_valid++;
    }
    if (!grouped) pf_sort(valid, n_valid, sizeof(reading), cmp_reading);

    /* 2. One sensor per device with a valid reading, ascending by device: its
     * value (the lower median), its readings, its density cell. */
    uint32_t *sensor_device = (uint32_t *)pf_alloc(n_valid * 4);
    uint64_t *sensor_readings = (uint64_t *)pf_alloc(n_valid * 8);
    uint64_t *sensor_score = (uint64_t *)pf_alloc(n_valid * 8);
    uint64_t *sensor_stacked = (uint64_t *)pf_alloc(n_valid * 8);
    home *homes = (home *)pf_alloc(n_valid * (uint32_t)sizeof(home));
    crowd *crowds = (crowd *)pf_alloc(n_valid * (uint32_t)sizeof(crowd));
    int64_t *values = (int64_t *)pf_alloc(n_valid * 8);
    uint32_t n_sensors = 0, n_homes = 0, n_crowds = 0;
    for (uint32_t i = 0; i < n_valid;) {
        uint32_t j = i;
        while (j < n_valid && valid[j].device == valid[i].device) {
            values[j] = valid[j].value;
            j++;
        }
        if (grouped && j - i > 1) pf_sort(values + i, j - i, 8, cmp_i64);
        uint32_t s = n_sensors++;
        uint64_t location = in->devices[valid[i].device].location;
        sensor_device[s] = valid[i].device;
        sensor_readings[s] = j - i;
        sensor_stacked[s] = 1;
        int64_t value = values[i + (j - i - 1) / 2];
        int32_t own = pf_h3_resolution((int64_t)location); /* one host call, two resolutions */
        int64_t cell = pf_h3_to(location, own, p.resolution);
        if (cell >= 0) {
            homes[n_homes].cell = (uint64_t)cell;
            homes[n_homes].value = value;
            homes[n_homes].sensor = s;
            n_homes++;
        }
        int64_t dense = pf_h3_to(location, own, p.density_resolution);
        if (dense >= 0) {
            crowds[n_crowds].cell = (uint64_t)dense;
            crowds[n_crowds].sensor = s;
            n_crowds++;
        }
        i = j;
    }

    /* 3. stacked(d): the sensors sharing d's density cell (1 without one). */
    /* Crowds were made in ascending sensor order: a stable sort by cell alone
     * orders them by (cell, sensor). */
    RADIX_SORT(crowd, crowds, n_crowds, CROWD_CELL);
    for (uint32_t i = 0; i < n_crowds;) {
        uint32_t j = i;
        while (j < n_crowds && crowds[j].cell == crowds[i].cell) j++;
        for (uint32_t k = i; k < j; k++) sensor_stacked[crowds[k].sensor] = j - i;
        i = j;
    }

    /* 4. Occupied home cells, each a run of the sorted homes (values ascending
     * within a run). */
    /* Homes were made in ascending sensor order: stable sorts by value, then by
     * cell, order them by (cell, value, sensor). */
    RADIX_SORT(home, homes, n_homes, HOME_VALUE);
    RADIX_SORT(home, homes, n_homes, HOME_CELL);
    occupied *cells = (occupied *)pf_alloc(n_homes * (uint32_t)sizeof(occupied));
    uint32_t n_cells = 0;
    for (uint32_t i = 0; i < n_homes; i++) {
        if (n_cells && cells[n_cells - 1].cell == homes[i].cell) {
            cells[n_cells - 1].end = i + 1;
        } else {
            cells[n_cells].cell = homes[i].cell;
            cells[n_cells].start = i;
            cells[n_cells].end = i + 1;
            n_cells++;
        }
    }

    /* 5. Each cell: the sorted values of its disk (a merge of at most 7 sorted
     * runs), then each of its sensors' agreement and score. */
    int64_t *around = (int64_t *)pf_alloc(n_homes * 8);
    for (uint32_t c = 0; c < n_cells; c++) {
        uint64_t ring[7];
        int32_t n_ring = pf_h3_disk1((int64_t)cells[c].cell, ring);
        if (n_ring < 0) __builtin_trap(); /* a home is a valid cell */
        uint32_t at[7], end[7], n_runs = 0, m = 0;
        for (int32_t k = 0; k < n_ring; k++) {
            int64_t found = find_cell(cells, n_cells, ring[k]);
            if (found < 0) continue;
            at[n_runs] = cells[found].start;
            end[n_runs] = cells[found].end;
            n_runs++;
        }
        for (;;) {
            int32_t best = -1;
            for (uint32_t k = 0; k < n_runs; k++) {
                if (at[k] < end[k] && (best < 0 || homes[at[k]].value < homes[at[best]].value)) best = (int32_t)k;
            }
            if (best < 0) break;
            around[m++] = homes[at[best]++].value;
        }
        for (uint32_t h = cells[c].start; h < cells[c].end; h++) {
            uint32_t s = homes[h].sensor;
            int64_t value = homes[h].value, median;
            uint64_t agree = PF_SCORE_ONE;
            if (median_without(around, m, value, &median)) {
                uint64_t deviation = value > median ? (uint64_t)value - (uint64_t)median
                                                    : (uint64_t)median - (uint64_t)value;
                agree = agreement(&p, deviation);
            }
            uint64_t readings = pf_fraction(sensor_readings[s], p.expected_readings);
            uint64_t stacked = sensor_stacked[s];
            sensor_score[s] = stacked > p.max_stacked ? 0 : pf_mul(agree, readings) / stacked;
        }
    }

    /* 6. Scores, ascending by device (sensors are); zeros are left out. */
    for (uint32_t s = 0; s < n_sensors; s++) pf_score(in->devices[sensor_device[s]].id, sensor_score[s]);
    return 0;
}

PF_FAMILY(score)
