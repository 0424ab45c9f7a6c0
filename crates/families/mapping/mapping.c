/* The mapping family (Hivemapper-like street-level mapping): dashcams report
 * drives, GPS tracks over H3 cells with a content hash of their imagery. The
 * family pays coverage and freshness per hex, only where another owner's device
 * corroborates it. The body format, the state format, the parameters and every
 * rule are in README.md beside this file; the order of the checks below is the
 * order documented there.
 *
 * Everything is integers; every collection is ordered by pf_sort (stable) on
 * total keys, so the output is a pure function of the input. */

#include "plinth_family.h"

/* ---- the drive body (README.md "Body") ---------------------------------- */

#define DRIVE_VERSION 1
#define DRIVE_HEADER 51  /* version u8, drive_id u64, start_ms u64, imagery [32], n u16 */
#define POINT_BYTES 12   /* t_ms u32, cell u64 */
#define MIN_POINTS 2
#define MAX_POINTS 256

/* ---- the state (README.md "State") --------------------------------------- */

#define STATE_VERSION 1
#define HEX_BYTES 16             /* cell u64, last u64 */
#define REC_BYTES 80             /* device [32], drive_id u64, imagery [32], epoch u64 */
#define MAX_STATE_HEXES 500000u  /* 8,000,000 bytes */
#define MAX_STATE_DRIVES 90000u  /* 7,200,000 bytes: with the hexes under 16 MiB */

#define UNIT 1000000ull          /* a hex's base value: 1.0 */
#define BPS 10000ull

typedef struct {
    int64_t resolution, max_speed_kmh, max_gap_m, max_gap_ms, first_k, late_bps;
    int64_t stale_epochs, stale_bonus_bps, horizon_epochs, replay_epochs;
} params;

/* one hex of the state: the last epoch it was mapped (counted) in */
typedef struct { uint64_t cell, last; } hex;

/* one drive the state remembers, to refuse its replay */
typedef struct {
    const uint8_t *device, *imagery;
    uint64_t drive_id, epoch;
} rec;

/* a drive that passed the plausibility checks */
typedef struct {
    uint32_t report, device;     /* indexes into in->reports, in->devices */
    uint64_t drive_id, start_ms;
    const uint8_t *imagery;
    uint32_t n;
    uint32_t *t;                 /* offsets from start_ms, strictly increasing */
    uint64_t *cell;
    int replayed_state;          /* its id or imagery is in the state */
    int corroborated;
} drive;

/* one point of a counted drive: a device saw `cell` at `at` */
typedef struct { uint64_t cell, at; uint32_t device, drive; } obs;

/* the earliest time a device mapped a (corroborated) hex */
typedef struct { uint64_t at; uint32_t device; } first_seen;

/* a corroborated hex's first mappers: what a burst on the hex pays */
#define MAX_AWARD 8
typedef struct { uint64_t cell; uint32_t n; const uint8_t *ids[MAX_AWARD]; } award;

static int cmp_id_ptr(const void *a, const void *b) {
    return pf_id_cmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b);
}

/* refusals, emitted in report order at the end */
typedef struct { const char *code; pf_text *reason; } refusal;

static refusal *refusals;

static pf_text *refuse(uint32_t report, const char *code) {
    pf_text *t = pf_alloc(sizeof(pf_text));
    refusals[report].code = code;
    refusals[report].reason = t;
    return t;
}

/* ---- parameters ---------------------------------------------------------- */

static int param(const pf_input *in, const char *key, int64_t dflt, int64_t lo, int64_t hi,
                 int64_t *out) {
    int r = pf_param_i64(in, key, out);
    if (r < 0) return 0;
    if (r == 0) *out = dflt;
    return *out >= lo && *out <= hi;
}

static int read_params(const pf_input *in, params *p) {
    if (!param(in, "resolution", 9, 0, 15, &p->resolution)) return 0;
    if (!param(in, "max_speed_kmh", 150, 1, 1000, &p->max_speed_kmh)) return 0;
    if (!param(in, "max_gap_m", 2000, 1, 1000000, &p->max_gap_m)) return 0;
    if (!param(in, "max_gap_ms", 120000, 1, 86400000, &p->max_gap_ms)) return 0;
    if (!param(in, "first_k", 3, 1, 1000000, &p->first_k)) return 0;
    if (!param(in, "late_bps", 0, 0, 10000, &p->late_bps)) return 0;
    if (!param(in, "stale_epochs", 4, 1, 100000, &p->stale_epochs)) return 0;
    if (!param(in, "stale_bonus_bps", 10000, 0, 1000000, &p->stale_bonus_bps)) return 0;
    if (!param(in, "horizon_epochs", 64, 2, 1000000, &p->horizon_epochs)) return 0;
    if (!param(in, "replay_epochs", 64, 1, 1000000, &p->replay_epochs)) return 0;
    /* a hex dropped from the state pays as never mapped: the full bonus. That is
       its true value only if it was unmapped for at least stale_epochs. */
    if (p->horizon_epochs <= p->stale_epochs) return 0;
    return 1;
}

/* ---- comparators ---------------------------------------------------------- */

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

static int cmp_rec_key(const rec *a, const rec *b) {
    int c = pf_id_cmp(a->device, b->device);
    return c ? c : cmp_u64(a->drive_id, b->drive_id);
}
static int cmp_rec(const void *a, const void *b) { return cmp_rec_key(a, b); }
static int cmp_rec_imagery(const void *a, const void *b) {
    return pf_id_cmp(((const rec *)a)->imagery, ((const rec *)b)->imagery);
}
/* most recent first, then by key: which records a full state keeps */
static int cmp_rec_recent(const void *a, const void *b) {
    const rec *x = a, *y = b;
    int c = cmp_u64(y->epoch, x->epoch);
    return c ? c : cmp_rec_key(x, y);
}
static int cmp_hex(const void *a, const void *b) {
    return cmp_u64(((const hex *)a)->cell, ((const hex *)b)->cell);
}
static int cmp_hex_recent(const void *a, const void *b) {
    const hex *x = a, *y = b;
    int c = cmp_u64(y->last, x->last);
    return c ? c : cmp_u64(x->cell, y->cell);
}

/* drives are referred to by index; the comparators read this table */
static drive *drives;

static int cmp_drive_key(const void *a, const void *b) {
    const drive *x = &drives[*(const uint32_t *)a], *y = &drives[*(const uint32_t *)b];
    int c = cmp_u64(x->device, y->device);
    if (c) return c;
    c = cmp_u64(x->drive_id, y->drive_id);
    return c ? c : cmp_u64(x->report, y->report);
}
static int cmp_drive_imagery(const void *a, const void *b) {
    const drive *x = &drives[*(const uint32_t *)a], *y = &drives[*(const uint32_t *)b];
    int c = pf_id_cmp(x->imagery, y->imagery);
    return c ? c : cmp_u64(x->report, y->report);
}
static int cmp_obs(const void *a, const void *b) {
    const obs *x = a, *y = b;
    int c = cmp_u64(x->cell, y->cell);
    if (c) return c;
    c = cmp_u64(x->device, y->device);
    if (c) return c;
    c = cmp_u64(x->at, y->at);
    return c ? c : cmp_u64(x->drive, y->drive);
}
static int cmp_first(const void *a, const void *b) {
    const first_seen *x = a, *y = b;
    int c = cmp_u64(x->at, y->at);
    return c ? c : cmp_u64(x->device, y->device);
}

/* ---- the state ------------------------------------------------------------ */

typedef struct {
    uint32_t n_hexes; hex *hexes;   /* strictly ascending by cell */
    uint32_t n_recs; rec *recs;     /* strictly ascending by (device, drive_id) */
    rec *by_imagery;                /* the same records by imagery */
} state;

/* reads the previous epoch's state and forgets what is past its horizon: hexes
   last mapped horizon_epochs or more ago, drives seen replay_epochs or more ago */
static int read_state(pf_bytes b, const params *p, uint64_t epoch, state *s) {
    s->n_hexes = 0; s->n_recs = 0; s->hexes = 0; s->recs = 0; s->by_imagery = 0;
    if (b.len == 0) return 1;
    pf_reader r = pf_reader_of(b);
    if (pf_get_u8(&r) != STATE_VERSION) return 0;
    uint32_t nh = pf_get_u32(&r);
    if (r.bad || nh > MAX_STATE_HEXES || (uint64_t)nh * HEX_BYTES > (uint64_t)(r.end - r.p)) return 0;
    s->hexes = pf_alloc(nh * sizeof(hex) + 1);
    for (uint32_t i = 0; i < nh; i++) {
        s->hexes[i].cell = pf_get_u64(&r);
        s->hexes[i].last = pf_get_u64(&r);
        if (i && s->hexes[i].cell <= s->hexes[i - 1].cell) return 0;
    }
    s->n_hexes = nh;
    uint32_t nd = pf_get_u32(&r);
    if (r.bad || nd > MAX_STATE_DRIVES || (uint64_t)nd * REC_BYTES > (uint64_t)(r.end - r.p)) return 0;
    s->recs = pf_alloc(nd * sizeof(rec) + 1);
    s->by_imagery = pf_alloc(nd * sizeof(rec) + 1);
    for (uint32_t i = 0; i < nd; i++) {
        rec *x = &s->recs[i];
        x->device = pf_get_raw(&r, 32);
        x->drive_id = pf_get_u64(&r);
        x->imagery = pf_get_raw(&r, 32);
        x->epoch = pf_get_u64(&r);
        if (r.bad) return 0;
        if (i && cmp_rec_key(&s->recs[i - 1], x) >= 0) return 0;
    }
    s->n_recs = nd;
    if (!pf_reader_done(&r)) return 0;
    uint32_t keep = 0;
    for (uint32_t i = 0; i < nh; i++) {
        const hex *h = &s->hexes[i];
        if (h->last > epoch || epoch - h->last < (uint64_t)p->horizon_epochs) s->hexes[keep++] = *h;
    }
    s->n_hexes = nh = keep;
    keep = 0;
    for (uint32_t i = 0; i < nd; i++) {
        const rec *x = &s->recs[i];
        if (x->epoch > epoch || epoch - x->epoch < (uint64_t)p->replay_epochs) s->recs[keep++] = *x;
    }
    s->n_recs = nd = keep;
    pf_memcpy(s->by_imagery, s->recs, nd * sizeof(rec));
    pf_sort(s->by_imagery, nd, sizeof(rec), cmp_rec_imagery);
    return 1;
}

static const hex *find_hex(const state *s, uint64_t cell) {
    uint32_t lo = 0, hi = s->n_hexes;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->hexes[mid].cell < cell) lo = mid + 1;
        else hi = mid;
    }
    return lo < s->n_hexes && s->hexes[lo].cell == cell ? &s->hexes[lo] : 0;
}

/* first index whose record is not below `key` in `cmp`'s order */
static uint32_t lower_bound(const rec *a, uint32_t n, const rec *key,
                            int (*cmp)(const void *, const void *)) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp(&a[mid], key) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* the value of mapping `cell` this epoch, from the last epoch it was mapped */
static uint64_t hex_value(const state *s, const params *p, uint64_t epoch, uint64_t cell) {
    uint64_t n = (uint64_t)p->stale_epochs, m = n;   /* never mapped: the full bonus */
    const hex *h = find_hex(s, cell);
    if (h) {
        uint64_t age = epoch > h->last ? epoch - h->last : 0;   /* epochs since */
        m = age ? age - 1 : 0;                                  /* unmapped epochs between */
        if (m > n) m = n;
    }
    return UNIT + (UNIT / BPS) * (uint64_t)p->stale_bonus_bps * m / n;
}

/* ---- one report ------------------------------------------------------------ */

/* decodes and checks one report; a drive on success, else the report is refused */
static int check_drive(const pf_input *in, const params *p, uint32_t i, drive *d) {
    const pf_report *rep = &in->reports[i];
    if (rep->kind != PF_CUSTOM || !pf_bytes_eq(rep->custom_kind, "drive")) {
        pf_text_str(refuse(i, "not_a_drive"), "the mapping family reads only custom bodies of kind drive");
        return 0;
    }
    const pf_device *dev = pf_find_device(in, rep->device);
    if (!dev || !dev->active) {
        pf_text_str(refuse(i, "inactive"), "the device is not active");
        return 0;
    }
    pf_reader r = pf_reader_of(rep->data);
    uint8_t version = pf_get_u8(&r);
    d->report = i;
    d->device = (uint32_t)(dev - in->devices);
    d->drive_id = pf_get_u64(&r);
    d->start_ms = pf_get_u64(&r);
    d->imagery = pf_get_raw(&r, 32);
    d->n = pf_get_u16(&r);
    if (r.bad || version != DRIVE_VERSION || d->n < MIN_POINTS || d->n > MAX_POINTS
        || (uint64_t)(r.end - r.p) != (uint64_t)d->n * POINT_BYTES) {
        pf_text *t = refuse(i, "malformed");
        pf_text_str(t, "a drive body is version 1, a 51-byte header and 2 to 256 points of 12 bytes; this one has ");
        pf_text_u64(t, rep->data.len);
        pf_text_str(t, " bytes");
        return 0;
    }
    d->t = pf_alloc(d->n * sizeof(uint32_t));
    d->cell = pf_alloc(d->n * sizeof(uint64_t));
    for (uint32_t k = 0; k < d->n; k++) {
        d->t[k] = pf_get_u32(&r);
        d->cell[k] = pf_get_u64(&r);
    }
    for (uint32_t k = 0; k < d->n; k++) {
        if (pf_h3_resolution((int64_t)d->cell[k]) != p->resolution) {
            pf_text *t = refuse(i, "bad_cell");
            pf_text_str(t, "point ");
            pf_text_u64(t, k);
            pf_text_str(t, " is not a valid H3 cell of resolution ");
            pf_text_i64(t, p->resolution);
            return 0;
        }
    }
    for (uint32_t k = 0; k < d->n; k++) {
        if (k && d->t[k] <= d->t[k - 1]) {
            pf_text *t = refuse(i, "bad_timing");
            pf_text_str(t, "point times must increase; point ");
            pf_text_u64(t, k);
            pf_text_str(t, " is not after point ");
            pf_text_u64(t, k - 1);
            return 0;
        }
        uint64_t at = d->start_ms + d->t[k];
        if (at < d->start_ms || at < in->start_ms || at >= in->end_ms) {
            pf_text *t = refuse(i, "outside_epoch");
            pf_text_str(t, "point ");
            pf_text_u64(t, k);
            pf_text_str(t, " is outside the epoch's window");
            return 0;
        }
    }
    /* slack: a point lies anywhere in its cell, so two centres may be about a
       cell apart with the car barely moving: 1.5 times the distance from the
       first cell's centre to its farthest neighbour's */
    uint64_t ring[7];
    int32_t nr = pf_h3_disk1((int64_t)d->cell[0], ring);
    int64_t spacing = 0;
    for (int32_t k = 0; k < nr; k++) {
        int64_t m = pf_h3_distance_m((int64_t)d->cell[0], (int64_t)ring[k]);
        if (m > spacing) spacing = m;
    }
    uint64_t slack = (uint64_t)spacing * 3 / 2;
    for (uint32_t k = 1; k < d->n; k++) {
        int64_t dist = pf_h3_distance_m((int64_t)d->cell[k - 1], (int64_t)d->cell[k]);
        uint64_t dm = dist < 0 ? 0 : (uint64_t)dist;
        uint64_t dt = d->t[k] - d->t[k - 1];
        uint64_t excess = dm > slack ? dm - slack : 0;
        /* km/h = m * 3600 / ms */
        if (excess * 3600 > (uint64_t)p->max_speed_kmh * dt) {
            pf_text *t = refuse(i, "too_fast");
            pf_text_str(t, "points ");
            pf_text_u64(t, k - 1);
            pf_text_str(t, " and ");
            pf_text_u64(t, k);
            pf_text_str(t, ": ");
            pf_text_u64(t, dm);
            pf_text_str(t, " m in ");
            pf_text_u64(t, dt);
            pf_text_str(t, " ms is faster than ");
            pf_text_i64(t, p->max_speed_kmh);
            pf_text_str(t, " km/h");
            return 0;
        }
        if (dm > (uint64_t)p->max_gap_m || dt > (uint64_t)p->max_gap_ms) {
            pf_text *t = refuse(i, "gap");
            pf_text_str(t, "points ");
            pf_text_u64(t, k - 1);
            pf_text_str(t, " and ");
            pf_text_u64(t, k);
            pf_text_str(t, " are ");
            pf_text_u64(t, dm);
            pf_text_str(t, " m and ");
            pf_text_u64(t, dt);
            pf_text_str(t, " ms apart: the track is not continuous");
            return 0;
        }
    }
    return 1;
}

/* ---- the epoch ----------------------------------------------------------------- */

static void write_state(const state *old,
                        const hex *mapped, uint32_t n_mapped, const rec *fresh, uint32_t n_fresh) {
    /* hexes: the old ones (within the horizon) merged with this epoch's */
    hex *hx = pf_alloc((old->n_hexes + n_mapped) * sizeof(hex) + 1);
    uint32_t nh = 0, a = 0, b = 0;
    while (a < old->n_hexes || b < n_mapped) {
        if (b == n_mapped || (a < old->n_hexes && old->hexes[a].cell < mapped[b].cell)) {
            hx[nh++] = old->hexes[a++];
        } else {
            if (a < old->n_hexes && old->hexes[a].cell == mapped[b].cell) a++;
            hx[nh++] = mapped[b++];
        }
    }
    if (nh > MAX_STATE_HEXES) {
        pf_sort(hx, nh, sizeof(hex), cmp_hex_recent);
        nh = MAX_STATE_HEXES;
        pf_sort(hx, nh, sizeof(hex), cmp_hex);
    }
    /* drives: the old ones (within replay_epochs) and this epoch's */
    rec *rx = pf_alloc((old->n_recs + n_fresh) * sizeof(rec) + 1);
    uint32_t nd = 0;
    for (uint32_t k = 0; k < old->n_recs; k++) rx[nd++] = old->recs[k];
    for (uint32_t k = 0; k < n_fresh; k++) rx[nd++] = fresh[k];
    pf_sort(rx, nd, sizeof(rec), cmp_rec);
    uint32_t u = 0;   /* one record per key: the first (oldest epoch wins: it came first) */
    for (uint32_t k = 0; k < nd; k++)
        if (!u || cmp_rec_key(&rx[u - 1], &rx[k]) != 0) rx[u++] = rx[k];
    nd = u;
    if (nd > MAX_STATE_DRIVES) {
        pf_sort(rx, nd, sizeof(rec), cmp_rec_recent);
        nd = MAX_STATE_DRIVES;
        pf_sort(rx, nd, sizeof(rec), cmp_rec);
    }
    if (nh == 0 && nd == 0) return;   /* nothing to remember: the empty state */
    pf_writer w = {0, 0, 0};
    pf_put_u8(&w, STATE_VERSION);
    pf_put_u32(&w, nh);
    for (uint32_t k = 0; k < nh; k++) {
        pf_put_u64(&w, hx[k].cell);
        pf_put_u64(&w, hx[k].last);
    }
    pf_put_u32(&w, nd);
    for (uint32_t k = 0; k < nd; k++) {
        pf_put_raw(&w, rx[k].device, 32);
        pf_put_u64(&w, rx[k].drive_id);
        pf_put_raw(&w, rx[k].imagery, 32);
        pf_put_u64(&w, rx[k].epoch);
    }
    pf_set_state(w.buf, w.len);
}

static int mapping(const pf_input *in) {
    params p;
    if (!read_params(in, &p)) return PF_ERR_PARAMS;
    state st;
    if (!read_state(in->state, &p, in->epoch, &st)) return PF_ERR_STATE;

    uint32_t nr = in->n_reports;
    refusals = pf_alloc(nr * sizeof(refusal) + 1);
    drives = pf_alloc(nr * sizeof(drive) + 1);

    /* 1. each report on its own: kind, device, body, cells, timing, speed, gaps */
    uint32_t nd = 0;
    for (uint32_t i = 0; i < nr; i++)
        if (check_drive(in, &p, i, &drives[nd])) nd++;

    /* 2. replays of a drive the state remembers (same device and drive id, or
          same imagery) */
    for (uint32_t k = 0; k < nd; k++) {
        drive *d = &drives[k];
        rec key = { in->devices[d->device].id, d->imagery, d->drive_id, 0 };
        uint32_t a = lower_bound(st.recs, st.n_recs, &key, cmp_rec);
        int by_id = a < st.n_recs && cmp_rec_key(&st.recs[a], &key) == 0;
        uint32_t b = lower_bound(st.by_imagery, st.n_recs, &key, cmp_rec_imagery);
        int by_imagery = b < st.n_recs && pf_id_cmp(st.by_imagery[b].imagery, d->imagery) == 0;
        if (by_id || by_imagery) {
            const rec *seen = by_id ? &st.recs[a] : &st.by_imagery[b];
            d->replayed_state = 1;
            pf_text *t = refuse(d->report, "replayed");
            pf_text_str(t, by_id ? "this device's drive id was already reported in epoch "
                                 : "this imagery was already reported in epoch ");
            pf_text_u64(t, seen->epoch);
        }
    }

    /* 3. replays within the epoch, among the drives not replaying the state: a
          device's drive id twice, or one imagery twice. Copies from one device:
          the first (report order) counts. One imagery from several devices: none
          counts (nobody can tell whose it is). */
    uint32_t *ix = pf_alloc(nd * sizeof(uint32_t) + 1);
    uint32_t nx = 0;
    for (uint32_t k = 0; k < nd; k++)
        if (!drives[k].replayed_state) ix[nx++] = k;
    char *dup = pf_alloc(nd + 1);
    pf_sort(ix, nx, sizeof(uint32_t), cmp_drive_key);
    for (uint32_t k = 1; k < nx; k++) {
        const drive *x = &drives[ix[k - 1]], *y = &drives[ix[k]];
        if (x->device == y->device && x->drive_id == y->drive_id) dup[ix[k]] = 1;
    }
    pf_sort(ix, nx, sizeof(uint32_t), cmp_drive_imagery);
    for (uint32_t g = 0; g < nx;) {
        uint32_t e = g + 1;
        int devices = 1;
        while (e < nx && pf_id_cmp(drives[ix[g]].imagery, drives[ix[e]].imagery) == 0) {
            if (drives[ix[e]].device != drives[ix[g]].device) devices = 2;
            e++;
        }
        for (uint32_t k = g; k < e; k++) {
            if (devices > 1) dup[ix[k]] = 2;           /* every copy */
            else if (k > g && !dup[ix[k]]) dup[ix[k]] = 1;   /* all but the first */
        }
        g = e;
    }
    for (uint32_t k = 0; k < nd; k++) {
        if (!dup[k]) continue;
        pf_text_str(refuse(drives[k].report, "replayed"),
                    dup[k] == 2 ? "this imagery is claimed by several devices in the epoch"
                                : "this device reported the drive (its id or imagery) twice in the epoch");
    }

    /* 4. cross-device agreement: one observation per point of every drive still
          standing (a run of points in one cell gives one: its first, the
          earliest); a hex counts when devices of at least two owners mapped it */
    uint64_t n_obs = 0;
    for (uint32_t k = 0; k < nd; k++)
        if (!drives[k].replayed_state && !dup[k]) n_obs += drives[k].n;
    if (n_obs * sizeof(obs) > 0x7fffffffull) return PF_ERR_MEMORY;   /* over the 2 GiB memory */
    obs *ob = pf_alloc((uint32_t)n_obs * sizeof(obs) + 1);
    uint32_t no = 0;
    for (uint32_t k = 0; k < nd; k++) {
        const drive *d = &drives[k];
        if (d->replayed_state || dup[k]) continue;
        for (uint32_t j = 0; j < d->n; j++) {
            if (j && d->cell[j] == d->cell[j - 1]) continue;
            ob[no].cell = d->cell[j];
            ob[no].at = d->start_ms + d->t[j];
            ob[no].device = d->device;
            ob[no].drive = k;
            no++;
        }
    }
    pf_sort(ob, no, sizeof(obs), cmp_obs);
    char *agreed = pf_alloc(no + 1);   /* per observation: its hex is corroborated */
    for (uint32_t g = 0; g < no;) {
        uint32_t e = g + 1;
        int owners = 1;
        const uint8_t *owner = in->devices[ob[g].device].owner;
        while (e < no && ob[e].cell == ob[g].cell) {
            if (pf_id_cmp(in->devices[ob[e].device].owner, owner) != 0) owners = 2;
            e++;
        }
        if (owners > 1)
            for (uint32_t k = g; k < e; k++) {
                agreed[k] = 1;
                drives[ob[k].drive].corroborated = 1;
            }
        g = e;
    }
    for (uint32_t k = 0; k < nd; k++) {
        const drive *d = &drives[k];
        if (d->replayed_state || dup[k] || d->corroborated) continue;
        pf_text_str(refuse(d->report, "uncorroborated"),
                    "no device of another owner mapped any hex of this drive in the epoch");
    }

    /* 5. scores: per corroborated hex, each device once, at its first time
          there; the first first_k devices by time (then id) earn the hex's full
          value, later ones late_bps of it */
    uint64_t *score = pf_alloc(in->n_devices * sizeof(uint64_t) + 1);
    hex *mapped = pf_alloc(no * sizeof(hex) + 1);
    uint32_t n_mapped = 0;
    first_seen *fs = pf_alloc(no * sizeof(first_seen) + 1);
    award *awarded = pf_alloc(no * sizeof(award) + 1);
    uint32_t n_awarded = 0;
    for (uint32_t g = 0; g < no;) {
        uint32_t e = g + 1;
        while (e < no && ob[e].cell == ob[g].cell) e++;
        if (agreed[g]) {
            uint32_t nf = 0;
            for (uint32_t k = g; k < e; k++)
                if (k == g || ob[k].device != ob[k - 1].device) {   /* sorted by device, then time */
                    fs[nf].at = ob[k].at;
                    fs[nf].device = ob[k].device;
                    nf++;
                }
            pf_sort(fs, nf, sizeof(first_seen), cmp_first);
            uint64_t value = hex_value(&st, &p, in->epoch, ob[g].cell);
            for (uint32_t k = 0; k < nf; k++) {
                uint64_t f = k < (uint64_t)p.first_k ? BPS : (uint64_t)p.late_bps;
                score[fs[k].device] += value * f / BPS;
            }
            /* the hex's award (bursts pay on it): its first mappers, at most
               first_k and MAX_AWARD, ids ascending; cells come ascending */
            uint32_t na = nf < (uint64_t)p.first_k ? nf : (uint32_t)p.first_k;
            if (na > MAX_AWARD) na = MAX_AWARD;
            const uint8_t *ids[MAX_AWARD];
            for (uint32_t k = 0; k < na; k++) ids[k] = in->devices[fs[k].device].id;
            pf_sort(ids, na, sizeof(ids[0]), cmp_id_ptr);
            awarded[n_awarded].cell = ob[g].cell;
            awarded[n_awarded].n = na;
            for (uint32_t k = 0; k < na; k++) awarded[n_awarded].ids[k] = ids[k];
            n_awarded++;
            mapped[n_mapped].cell = ob[g].cell;
            mapped[n_mapped].last = in->epoch;
            n_mapped++;
        }
        g = e;
    }
    for (uint32_t k = 0; k < in->n_devices; k++)
        if (score[k]) pf_score(in->devices[k].id, score[k]);
    /* every awarded device has a score: each earned the hex's full value > 0 */
    for (uint32_t k = 0; k < n_awarded; k++)
        pf_award(awarded[k].cell, awarded[k].ids, awarded[k].n);

    /* 6. refusals, in report order */
    for (uint32_t i = 0; i < nr; i++)
        if (refusals[i].code) pf_reject(in->reports[i].hash, refusals[i].code, refusals[i].reason);

    /* 7. the state: hexes mapped (counted) and drives seen (every drive that
          passed step 1 and replays nothing the state remembers) */
    rec *fresh = pf_alloc(nd * sizeof(rec) + 1);
    uint32_t n_fresh = 0;
    for (uint32_t k = 0; k < nd; k++) {
        const drive *d = &drives[k];
        if (d->replayed_state) continue;
        fresh[n_fresh].device = in->devices[d->device].id;
        fresh[n_fresh].imagery = d->imagery;
        fresh[n_fresh].drive_id = d->drive_id;
        fresh[n_fresh].epoch = in->epoch;
        n_fresh++;
    }
    write_state(&st, mapped, n_mapped, fresh, n_fresh);
    return 0;
}

PF_FAMILY(mapping)
