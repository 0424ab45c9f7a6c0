/* plinth_family.h: the SDK of Plinth proof families written in C (the family ABI v1,
 * crates/families/ABI.md). Header-only, freestanding C11: include it in the one
 * source file of a family (NAME/NAME.c, built by crates/families/build.sh) and end
 * that file with PF_FAMILY(your_score_function).
 *
 * The API (/work/coord/sdk-api.md is the contract; functions marked "extra" below
 * are additions to it):
 *
 *   memory      pf_alloc (bump allocator, zeroed, traps when the 2 GiB limit is hit),
 *               pf_memcpy, pf_memset, pf_memcmp, pf_id_cmp, pf_sort (stable merge sort)
 *   input       pf_input (decoded borsh FamilyInput), pf_find_device
 *   parameters  pf_param_i64, pf_param_milli, pf_param_str; extra: pf_param_u64,
 *               pf_param_null, pf_parse_milli
 *   bytes       pf_reader (little-endian), pf_writer (growing), pf_bytes_eq
 *   output      pf_score, pf_reject (with a pf_text reason), pf_set_state; extra:
 *               pf_award (output version 2: awards bursts pay on)
 *   host        pf_h3_*, pf_geo_*, pf_ed25519_verify (imports of module "plinth")
 *   entry       PF_FAMILY(fn): exports plinth_alloc and plinth_score
 *
 * Everything is deterministic: no floats, no clock, no randomness. Memory is never
 * freed: a family runs once per epoch in a fresh instance.
 *
 * Costs worth knowing (1,000,000 devices): the decoded input takes 40 bytes a
 * device, 136 a report and 56 a probe, besides the input itself; pf_sort takes
 * n × size bytes of scratch per call.
 */
#ifndef PLINTH_FAMILY_H
#define PLINTH_FAMILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PF_API static inline __attribute__((unused))

/* errors a family returns (negated by PF_FAMILY's entry) */
#define PF_ERR_MALFORMED 1 /* input not ABI v1 */
#define PF_ERR_PARAMS 2    /* parameters missing or wrong */
#define PF_ERR_MEMORY 3    /* memory could not grow */
#define PF_ERR_STATE 4     /* the state from the previous epoch does not decode */

/* Fixed point of scores: 1,000,000 = 1.0 (the native families' SCORE_ONE). */
#define PF_SCORE_ONE 1000000ULL

/* ------------------------------------------------------------------ memory */

/* The C library functions the compiler may call for struct copies and the like
 * (there is no libc): plain byte loops, with external linkage so that the linker
 * finds them. -ffreestanding keeps clang from turning these loops into calls to
 * themselves. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memcpy(void *dst, const void *src, size_t n) {
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        while (n >= 8) {
            *(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
            d += 8;
            s += 8;
            n -= 8;
        }
    }
    while (n--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    if (d == s || n == 0) return dst;
    if (d < s || d >= s + n) return memcpy(dst, src, n);
    while (n--) d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    uint8_t *d = (uint8_t *)dst;
    while (n--) *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

PF_API void pf_memcpy(void *dst, const void *src, uint32_t n) { memcpy(dst, src, n); }
PF_API void pf_memset(void *dst, int c, uint32_t n) { memset(dst, c, n); }
PF_API int pf_memcmp(const void *a, const void *b, uint32_t n) { return memcmp(a, b, n); }
/* 32-byte ids (devices, reports), memcmp order: negative, 0 or positive. */
PF_API int pf_id_cmp(const uint8_t *a, const uint8_t *b) { return memcmp(a, b, 32); }

extern unsigned char __heap_base; /* defined by wasm-ld: the first byte after data and stack */
static uint32_t pf__heap_top;

/* n bytes, 16-byte aligned, zeroed (fresh memory: nothing is ever freed). Traps when
 * the memory cannot grow (the 2 GiB limit). Never returns NULL; pf_alloc(0) returns
 * a valid pointer to nothing. */
PF_API void *pf_alloc(uint32_t n) {
    if (pf__heap_top == 0) pf__heap_top = ((uint32_t)(uintptr_t)&__heap_base + 15u) & ~15u;
    uint64_t start = pf__heap_top;
    uint64_t end = start + (uint64_t)n;
    uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        uint64_t pages = (end - have + 65535u) / 65536u;
        if (pages > 65536u || __builtin_wasm_memory_grow(0, (size_t)pages) == (size_t)-1)
            __builtin_trap();
    }
    end = (end + 15u) & ~(uint64_t)15u;
    /* Memory is at most 2 GiB (build.sh), so this fits; aligning up past the last
     * page is harmless, as the next allocation grows first. */
    pf__heap_top = (uint32_t)end;
    return (void *)(uintptr_t)start;
}

/* stable merge sort (deterministic), allocates its scratch with pf_alloc */
typedef int (*pf_cmp_fn)(const void *, const void *);

PF_API void pf__move(uint8_t *d, const uint8_t *s, uint32_t size) {
    if (size == 8 && ((((uintptr_t)d | (uintptr_t)s) & 7) == 0)) {
        *(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
    } else if (size == 16 && ((((uintptr_t)d | (uintptr_t)s) & 7) == 0)) {
        ((uint64_t *)(void *)d)[0] = ((const uint64_t *)(const void *)s)[0];
        ((uint64_t *)(void *)d)[1] = ((const uint64_t *)(const void *)s)[1];
    } else {
        memcpy(d, s, size);
    }
}

PF_API void pf_sort(void *base, uint32_t n, uint32_t size, int (*cmp)(const void *, const void *)) {
    if (n < 2 || size == 0) return;
    uint8_t *a = (uint8_t *)base;
    /* Runs of RUN elements by insertion sort (stable: shift only past greater ones). */
    const uint32_t RUN = 16;
    uint8_t *tmp = (uint8_t *)pf_alloc(size);
    for (uint32_t lo = 0; lo < n; lo += RUN) {
        uint32_t hi = lo + RUN < n ? lo + RUN : n;
        for (uint32_t i = lo + 1; i < hi; i++) {
            uint8_t *x = a + (uint64_t)i * size;
            if (cmp(x - size, x) <= 0) continue;
            memcpy(tmp, x, size);
            uint32_t j = i;
            while (j > lo && cmp(a + (uint64_t)(j - 1) * size, tmp) > 0) {
                memcpy(a + (uint64_t)j * size, a + (uint64_t)(j - 1) * size, size);
                j--;
            }
            memcpy(a + (uint64_t)j * size, tmp, size);
        }
    }
    if (n <= RUN) return;
    /* Bottom-up merges, ping-ponging between the array and one scratch buffer. */
    uint8_t *b = (uint8_t *)pf_alloc((uint32_t)((uint64_t)n * size));
    uint8_t *src = a, *dst = b;
    for (uint32_t width = RUN; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = mid + width < n ? mid + width : n;
            uint32_t i = lo, j = mid, k = lo;
            if (mid == hi || cmp(src + (uint64_t)(mid - 1) * size, src + (uint64_t)mid * size) <= 0) {
                memcpy(dst + (uint64_t)lo * size, src + (uint64_t)lo * size, (hi - lo) * size);
                continue;
            }
            while (i < mid && j < hi) {
                /* Ties take the left run's element first: stable. */
                if (cmp(src + (uint64_t)j * size, src + (uint64_t)i * size) < 0)
                    pf__move(dst + (uint64_t)k++ * size, src + (uint64_t)j++ * size, size);
                else
                    pf__move(dst + (uint64_t)k++ * size, src + (uint64_t)i++ * size, size);
            }
            if (i < mid) memcpy(dst + (uint64_t)k * size, src + (uint64_t)i * size, (mid - i) * size);
            if (j < hi) memcpy(dst + (uint64_t)k * size, src + (uint64_t)j * size, (hi - j) * size);
        }
        uint8_t *t = src;
        src = dst;
        dst = t;
        if (width > UINT32_MAX / 2) break;
    }
    if (src != a) memcpy(a, src, (uint32_t)((uint64_t)n * size));
}

/* ------------------------------------------------------------------- bytes */

typedef struct {
    const uint8_t *ptr;
    uint32_t len;
} pf_bytes; /* strings are pf_bytes, not NUL-terminated */

PF_API uint32_t pf__strlen(const char *s) {
    uint32_t n = 0;
    while (s[n]) n++;
    return n;
}

/* 1 iff b holds exactly the bytes of the C string cstr. */
PF_API int pf_bytes_eq(pf_bytes b, const char *cstr) {
    uint32_t n = pf__strlen(cstr);
    return b.len == n && memcmp(b.ptr, cstr, n) == 0;
}

/* extra: 1 iff a and b hold the same bytes. */
PF_API int pf_bytes_same(pf_bytes a, pf_bytes b) {
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* little-endian reader for custom bodies and the state */
typedef struct {
    const uint8_t *p, *end;
    int bad;
} pf_reader;

PF_API pf_reader pf_reader_of(pf_bytes b) {
    pf_reader r;
    r.p = b.ptr;
    r.end = b.ptr + b.len;
    r.bad = 0;
    return r;
}

/* NULL and bad=1 when fewer than n bytes are left. */
PF_API const uint8_t *pf_get_raw(pf_reader *r, uint32_t n) {
    if (r->bad || (uint32_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *at = r->p;
    r->p += n;
    return at;
}

PF_API uint64_t pf__get_le(pf_reader *r, uint32_t n) {
    const uint8_t *b = pf_get_raw(r, n);
    if (!b) return 0;
    uint64_t v = 0;
    for (uint32_t i = n; i > 0; i--) v = (v << 8) | b[i - 1];
    return v;
}

PF_API uint8_t pf_get_u8(pf_reader *r) { return (uint8_t)pf__get_le(r, 1); }
PF_API uint16_t pf_get_u16(pf_reader *r) { return (uint16_t)pf__get_le(r, 2); }
PF_API uint32_t pf_get_u32(pf_reader *r) { return (uint32_t)pf__get_le(r, 4); }
PF_API uint64_t pf_get_u64(pf_reader *r) { return pf__get_le(r, 8); }
PF_API int32_t pf_get_i32(pf_reader *r) { return (int32_t)(uint32_t)pf__get_le(r, 4); }
PF_API int64_t pf_get_i64(pf_reader *r) { return (int64_t)pf__get_le(r, 8); }

/* extra: a borsh Vec<u8> / String: u32 length then the bytes. */
PF_API pf_bytes pf_get_bytes(pf_reader *r) {
    pf_bytes b;
    b.len = pf_get_u32(r);
    b.ptr = pf_get_raw(r, b.len);
    if (!b.ptr) b.len = 0;
    return b;
}

/* 1 iff consumed exactly and never short */
PF_API int pf_reader_done(const pf_reader *r) { return !r->bad && r->p == r->end; }

/* little-endian writer (for the state); grows with pf_alloc */
typedef struct {
    uint8_t *buf;
    uint32_t len, cap;
} pf_writer;

PF_API void pf__reserve(pf_writer *w, uint32_t more) {
    uint64_t need = (uint64_t)w->len + more;
    if (need <= w->cap) return;
    uint64_t cap = w->cap ? (uint64_t)w->cap * 2 : 256;
    while (cap < need) cap *= 2;
    if (cap > 0x7fffffffu) cap = need;
    if (cap > 0xffffffffu) __builtin_trap();
    uint8_t *nb = (uint8_t *)pf_alloc((uint32_t)cap);
    if (w->len) memcpy(nb, w->buf, w->len);
    w->buf = nb;
    w->cap = (uint32_t)cap;
}

PF_API void pf_put_raw(pf_writer *w, const void *p, uint32_t n) {
    pf__reserve(w, n);
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

PF_API void pf__put_le(pf_writer *w, uint64_t v, uint32_t n) {
    pf__reserve(w, n);
    for (uint32_t i = 0; i < n; i++) w->buf[w->len + i] = (uint8_t)(v >> (8 * i));
    w->len += n;
}

PF_API void pf_put_u8(pf_writer *w, uint8_t v) { pf__put_le(w, v, 1); }
/* extra */
PF_API void pf_put_u16(pf_writer *w, uint16_t v) { pf__put_le(w, v, 2); }
PF_API void pf_put_u32(pf_writer *w, uint32_t v) { pf__put_le(w, v, 4); }
PF_API void pf_put_u64(pf_writer *w, uint64_t v) { pf__put_le(w, v, 8); }
/* extra */
PF_API void pf_put_i32(pf_writer *w, int32_t v) { pf__put_le(w, (uint32_t)v, 4); }
/* extra */
PF_API void pf_put_i64(pf_writer *w, int64_t v) { pf__put_le(w, (uint64_t)v, 8); }
/* extra: what was written, as bytes */
PF_API pf_bytes pf_writer_bytes(const pf_writer *w) {
    pf_bytes b;
    b.ptr = w->buf;
    b.len = w->len;
    return b;
}

/* ------------------------------------------------------------------- input */

enum { PF_HEARTBEAT = 0, PF_PROBE_ANSWER = 1, PF_READING = 2, PF_BEACON = 3, PF_WITNESS = 4, PF_CUSTOM = 5 };

typedef struct {
    const uint8_t *id, *owner;
    uint64_t location;
    int active;
} pf_device;

/* Fields of other kinds than `kind` are zero. */
typedef struct {
    const uint8_t *hash, *device;
    uint64_t epoch, timestamp_ms, seq;
    uint8_t kind;
    const uint8_t *challenge; /* PF_PROBE_ANSWER */
    int64_t value_milli;
    pf_bytes unit; /* PF_READING */
    uint64_t round;
    const uint8_t *draw;
    int32_t tx_power_centi_dbm; /* PF_BEACON */
    const uint8_t *beacon;
    int32_t rssi_centi_dbm, snr_centi_db;
    uint64_t frequency_hz, received_ms; /* PF_WITNESS */
    pf_bytes custom_kind, data;         /* PF_CUSTOM */
} pf_report;

typedef struct {
    const uint8_t *device, *challenge;
    uint64_t issued_ms, deadline_ms;
    int answered;
    uint64_t answered_ms;
} pf_probe;

typedef struct {
    pf_bytes network;
    uint64_t epoch, start_ms, end_ms;
    pf_bytes params;
    pf_bytes state;
    uint32_t n_devices;
    pf_device *devices; /* ascending by id */
    uint32_t n_reports;
    pf_report *reports; /* ascending by (device, seq, hash) */
    uint32_t n_probes;
    pf_probe *probes; /* ascending by (device, challenge) */
} pf_input;

/* binary search; NULL if absent */
PF_API const pf_device *pf_find_device(const pf_input *in, const uint8_t *id) {
    uint32_t lo = 0, hi = in->n_devices;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = pf_id_cmp(in->devices[mid].id, id);
        if (c == 0) return &in->devices[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* extra: the index of the device in in->devices, or -1 if absent */
PF_API int64_t pf_device_index(const pf_input *in, const uint8_t *id) {
    const pf_device *d = pf_find_device(in, id);
    return d ? (int64_t)(d - in->devices) : -1;
}

/* A borsh Vec count whose items take at least `min_item` bytes each: refused (bad)
 * when the bytes left cannot hold that many, so that a forged count never makes a
 * huge allocation. */
PF_API uint32_t pf__count(pf_reader *r, uint32_t min_item) {
    uint32_t n = pf_get_u32(r);
    if (r->bad) return 0;
    if ((uint64_t)n * min_item > (uint64_t)(r->end - r->p)) {
        r->bad = 1;
        return 0;
    }
    return n;
}

/* Decodes FamilyInput (ABI.md); 0 on success, PF_ERR_MALFORMED otherwise. */
PF_API int pf__decode(pf_bytes bytes, pf_input *in) {
    pf_reader r = pf_reader_of(bytes);
    memset(in, 0, sizeof *in);
    if (pf_get_u32(&r) != 1) return PF_ERR_MALFORMED;
    in->network = pf_get_bytes(&r);
    in->epoch = pf_get_u64(&r);
    in->start_ms = pf_get_u64(&r);
    in->end_ms = pf_get_u64(&r);
    in->params = pf_get_bytes(&r);
    in->state = pf_get_bytes(&r);
    if (r.bad) return PF_ERR_MALFORMED;

    in->n_devices = pf__count(&r, 73);
    in->devices = (pf_device *)pf_alloc(in->n_devices * (uint32_t)sizeof(pf_device));
    for (uint32_t i = 0; i < in->n_devices; i++) {
        pf_device *d = &in->devices[i];
        d->id = pf_get_raw(&r, 32);
        d->owner = pf_get_raw(&r, 32);
        d->location = pf_get_u64(&r);
        uint8_t active = pf_get_u8(&r);
        if (r.bad || active > 1) return PF_ERR_MALFORMED;
        d->active = active;
    }

    in->n_reports = pf__count(&r, 89);
    in->reports = (pf_report *)pf_alloc(in->n_reports * (uint32_t)sizeof(pf_report));
    for (uint32_t i = 0; i < in->n_reports; i++) {
        pf_report *p = &in->reports[i];
        p->hash = pf_get_raw(&r, 32);
        p->device = pf_get_raw(&r, 32);
        p->epoch = pf_get_u64(&r);
        p->timestamp_ms = pf_get_u64(&r);
        p->seq = pf_get_u64(&r);
        p->kind = pf_get_u8(&r);
        switch (p->kind) {
        case PF_HEARTBEAT:
            break;
        case PF_PROBE_ANSWER:
            p->challenge = pf_get_raw(&r, 32);
            break;
        case PF_READING:
            p->value_milli = pf_get_i64(&r);
            p->unit = pf_get_bytes(&r);
            break;
        case PF_BEACON:
            p->round = pf_get_u64(&r);
            p->draw = pf_get_raw(&r, 32);
            p->tx_power_centi_dbm = pf_get_i32(&r);
            break;
        case PF_WITNESS:
            p->beacon = pf_get_raw(&r, 32);
            p->rssi_centi_dbm = pf_get_i32(&r);
            p->snr_centi_db = pf_get_i32(&r);
            p->frequency_hz = pf_get_u64(&r);
            p->received_ms = pf_get_u64(&r);
            break;
        case PF_CUSTOM:
            p->custom_kind = pf_get_bytes(&r);
            p->data = pf_get_bytes(&r);
            break;
        default:
            return PF_ERR_MALFORMED;
        }
        if (r.bad) return PF_ERR_MALFORMED;
    }

    in->n_probes = pf__count(&r, 81);
    in->probes = (pf_probe *)pf_alloc(in->n_probes * (uint32_t)sizeof(pf_probe));
    for (uint32_t i = 0; i < in->n_probes; i++) {
        pf_probe *p = &in->probes[i];
        p->device = pf_get_raw(&r, 32);
        p->challenge = pf_get_raw(&r, 32);
        p->issued_ms = pf_get_u64(&r);
        p->deadline_ms = pf_get_u64(&r);
        uint8_t some = pf_get_u8(&r);
        if (some == 1) {
            p->answered = 1;
            p->answered_ms = pf_get_u64(&r);
        } else if (some != 0) {
            return PF_ERR_MALFORMED;
        }
        if (r.bad) return PF_ERR_MALFORMED;
    }
    return pf_reader_done(&r) ? 0 : PF_ERR_MALFORMED;
}

/* -------------------------------------------------------------- parameters */

/* The parameters are a JSON object (canonical: sorted keys, no spaces; whitespace
 * is tolerated anyway). Only top-level keys are looked up; nested values are
 * skipped whole. Keys are compared byte for byte, undecoded. */

PF_API int pf__json_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The end of the string whose opening quote is at p[i] (index after the closing
 * quote), or 0 if unterminated. */
PF_API uint32_t pf__json_string_end(const uint8_t *p, uint32_t n, uint32_t i) {
    for (i++; i < n; i++) {
        if (p[i] == '\\') {
            i++;
        } else if (p[i] == '"') {
            return i + 1;
        }
    }
    return 0;
}

/* The end of the value starting at p[i], or 0 if malformed. */
PF_API uint32_t pf__json_value_end(const uint8_t *p, uint32_t n, uint32_t i) {
    if (i >= n) return 0;
    if (p[i] == '"') return pf__json_string_end(p, n, i);
    if (p[i] == '{' || p[i] == '[') {
        uint32_t depth = 0;
        while (i < n) {
            uint8_t c = p[i];
            if (c == '"') {
                i = pf__json_string_end(p, n, i);
                if (!i) return 0;
                continue;
            }
            if (c == '{' || c == '[') depth++;
            if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
            i++;
        }
        return 0;
    }
    uint32_t start = i;
    while (i < n && p[i] != ',' && p[i] != '}' && p[i] != ']' && !pf__json_ws(p[i])) i++;
    return i > start ? i : 0;
}

/* Finds top-level `key`: 1 and its value's text, 0 if absent, -1 if the
 * parameters are not a JSON object. Empty parameters are an empty object. */
PF_API int pf_param_raw(const pf_input *in, const char *key, pf_bytes *out) {
    const uint8_t *p = in->params.ptr;
    uint32_t n = in->params.len, i = 0, klen = pf__strlen(key);
    while (i < n && pf__json_ws(p[i])) i++;
    if (i == n) return 0;
    if (p[i++] != '{') return -1;
    for (;;) {
        while (i < n && pf__json_ws(p[i])) i++;
        if (i < n && p[i] == '}') return 0;
        if (i >= n || p[i] != '"') return -1;
        uint32_t kend = pf__json_string_end(p, n, i);
        if (!kend) return -1;
        int match = kend - i - 2 == klen && memcmp(p + i + 1, key, klen) == 0;
        i = kend;
        while (i < n && pf__json_ws(p[i])) i++;
        if (i >= n || p[i++] != ':') return -1;
        while (i < n && pf__json_ws(p[i])) i++;
        uint32_t vend = pf__json_value_end(p, n, i);
        if (!vend) return -1;
        if (match) {
            out->ptr = p + i;
            out->len = vend - i;
            return 1;
        }
        i = vend;
        while (i < n && pf__json_ws(p[i])) i++;
        if (i < n && p[i] == ',') {
            i++;
            continue;
        }
        if (i < n && p[i] == '}') return 0;
        return -1;
    }
}

/* Parses a JSON integer (-?(0|[1-9][0-9]*)) as a sign and magnitude; 0 if not one
 * or above u64. */
PF_API int pf__json_int(pf_bytes v, int *negative, uint64_t *magnitude) {
    uint32_t i = 0;
    *negative = 0;
    if (i < v.len && v.ptr[i] == '-') {
        *negative = 1;
        i++;
    }
    if (i == v.len) return 0;
    if (v.ptr[i] == '0' && i + 1 != v.len) return 0;
    uint64_t m = 0;
    for (; i < v.len; i++) {
        uint8_t c = v.ptr[i];
        if (c < '0' || c > '9') return 0;
        if (m > (UINT64_MAX - (c - '0')) / 10) return 0;
        m = m * 10 + (c - '0');
    }
    *magnitude = m;
    return 1;
}

/* 1 found, 0 absent, -1 not an integer (or outside i64, or bad parameters) */
PF_API int pf_param_i64(const pf_input *in, const char *key, int64_t *out) {
    pf_bytes v;
    int found = pf_param_raw(in, key, &v);
    if (found != 1) return found;
    int neg;
    uint64_t m;
    if (!pf__json_int(v, &neg, &m)) return -1;
    if (neg) {
        if (m > (uint64_t)INT64_MAX + 1) return -1;
        *out = (int64_t)(0 - m);
    } else {
        if (m > (uint64_t)INT64_MAX) return -1;
        *out = (int64_t)m;
    }
    return 1;
}

/* extra: 1 found, 0 absent, -1 not a non-negative integer within u64 (serde's u64) */
PF_API int pf_param_u64(const pf_input *in, const char *key, uint64_t *out) {
    pf_bytes v;
    int found = pf_param_raw(in, key, &v);
    if (found != 1) return found;
    int neg;
    uint64_t m;
    if (!pf__json_int(v, &neg, &m)) return -1;
    if (neg && m != 0) return -1;
    *out = m;
    return 1;
}

/* extra: 1 if `key` is present and null, 0 otherwise (absent, another value, bad
 * parameters) */
PF_API int pf_param_null(const pf_input *in, const char *key) {
    pf_bytes v;
    return pf_param_raw(in, key, &v) == 1 && pf_bytes_eq(v, "null");
}

/* extra: a decimal text (`-40.5`, `60`, `1.25e2`) as thousandths, exactly as
 * plinth_proofs::fixed::parse_milli: 1 and the value, or 0 if it is not a number,
 * has more than 3 significant decimal places or does not fit an i64. */
PF_API int pf_parse_milli(pf_bytes t, int64_t *out) {
    const uint8_t *p = t.ptr;
    uint32_t n = t.len, i = 0;
    if (n == 0 || n > 64) return 0;
    int negative = 0;
    if (p[0] == '-') {
        negative = 1;
        i = 1;
    }
    /* mantissa [i, mend), exponent text [mend + 1, n) when there is an e/E */
    uint32_t mend = i;
    while (mend < n && p[mend] != 'e' && p[mend] != 'E') mend++;
    uint32_t dot = i;
    while (dot < mend && p[dot] != '.') dot++;
    int has_dot = dot < mend;
    uint32_t wstart = i, wend = dot;
    uint32_t fstart = has_dot ? dot + 1 : mend, fend = mend;
    if (wend == wstart) return 0;
    for (uint32_t k = wstart; k < wend; k++)
        if (p[k] < '0' || p[k] > '9') return 0;
    for (uint32_t k = fstart; k < fend; k++)
        if (p[k] < '0' || p[k] > '9') return 0;
    if (has_dot && fend == fstart) return 0;
    int64_t exp = 0;
    if (mend < n) {
        uint32_t k = mend + 1;
        int eneg = 0;
        if (k < n && (p[k] == '+' || p[k] == '-')) {
            eneg = p[k] == '-';
            k++;
        }
        if (k == n) return 0;
        for (; k < n; k++) {
            if (p[k] < '0' || p[k] > '9') return 0;
            /* at most 62 digits here; beyond i64 is "too large" natively (an
             * error either way) */
            if (exp > (INT64_MAX - 9) / 10) return 0;
            exp = exp * 10 + (p[k] - '0');
        }
        if (eneg) exp = -exp;
    }
    /* digits = whole ++ frac (without the dot); significant = without leading
     * zeros; trimmed = significant without trailing zeros */
    uint32_t nd = (wend - wstart) + (fend - fstart);
    uint8_t digits[64];
    uint32_t d = 0;
    for (uint32_t k = wstart; k < wend; k++) digits[d++] = p[k];
    for (uint32_t k = fstart; k < fend; k++) digits[d++] = p[k];
    uint32_t lead = 0;
    while (lead < nd && digits[lead] == '0') lead++;
    if (lead == nd) {
        *out = 0;
        return 1;
    }
    uint32_t sig_len = nd - lead;
    uint32_t trim_len = sig_len;
    while (trim_len > 0 && digits[lead + trim_len - 1] == '0') trim_len--;
    int64_t shift = exp - (int64_t)(fend - fstart) + 3 + (int64_t)(sig_len - trim_len);
    if (shift < 0) return 0;                        /* too precise */
    if ((int64_t)trim_len + shift > 19) return 0;   /* too large */
    /* at most 19 digits: fits an unsigned 64-bit magnitude */
    uint64_t m = 0;
    for (uint32_t k = 0; k < trim_len; k++) m = m * 10 + (digits[lead + k] - '0');
    while (shift-- > 0) m *= 10;
    if (negative) {
        if (m > (uint64_t)INT64_MAX + 1) return 0;
        *out = (int64_t)(0 - m);
    } else {
        if (m > (uint64_t)INT64_MAX) return 0;
        *out = (int64_t)m;
    }
    return 1;
}

/* a decimal with at most 3 places, as thousandths: 1 found, 0 absent, -1 not a
 * JSON number, too precise or too large */
PF_API int pf_param_milli(const pf_input *in, const char *key, int64_t *out) {
    pf_bytes v;
    int found = pf_param_raw(in, key, &v);
    if (found != 1) return found;
    if (v.len == 0 || !(v.ptr[0] == '-' || (v.ptr[0] >= '0' && v.ptr[0] <= '9'))) return -1;
    return pf_parse_milli(v, out) ? 1 : -1;
}

PF_API int pf__hex(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

PF_API int pf__hex4(const uint8_t *p, uint32_t *out) {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int h = pf__hex(p[k]);
        if (h < 0) return 0;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return 1;
}

/* A JSON string: 1 found, 0 absent, -1 not a string. Without escapes it points into
 * the parameters; with escapes (\" \\ \/ \b \f \n \r \t \uXXXX, surrogate pairs) it
 * is decoded, as UTF-8, into memory from pf_alloc. */
PF_API int pf_param_str(const pf_input *in, const char *key, pf_bytes *out) {
    pf_bytes v;
    int found = pf_param_raw(in, key, &v);
    if (found != 1) return found;
    if (v.len < 2 || v.ptr[0] != '"' || v.ptr[v.len - 1] != '"') return -1;
    const uint8_t *s = v.ptr + 1;
    uint32_t n = v.len - 2;
    uint32_t k = 0;
    while (k < n && s[k] != '\\') k++;
    if (k == n) {
        out->ptr = s;
        out->len = n;
        return 1;
    }
    uint8_t *buf = (uint8_t *)pf_alloc(n); /* decoding never lengthens */
    uint32_t o = 0;
    for (uint32_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c != '\\') {
            buf[o++] = c;
            i++;
            continue;
        }
        if (i + 1 >= n) return -1;
        uint8_t e = s[i + 1];
        i += 2;
        switch (e) {
        case '"': buf[o++] = '"'; break;
        case '\\': buf[o++] = '\\'; break;
        case '/': buf[o++] = '/'; break;
        case 'b': buf[o++] = 8; break;
        case 'f': buf[o++] = 12; break;
        case 'n': buf[o++] = 10; break;
        case 'r': buf[o++] = 13; break;
        case 't': buf[o++] = 9; break;
        case 'u': {
            uint32_t cp;
            if (i + 4 > n || !pf__hex4(s + i, &cp)) return -1;
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                uint32_t lo;
                if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u' || !pf__hex4(s + i + 2, &lo) ||
                    lo < 0xDC00 || lo >= 0xE000)
                    return -1;
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                return -1;
            }
            if (cp < 0x80) {
                buf[o++] = (uint8_t)cp;
            } else if (cp < 0x800) {
                buf[o++] = (uint8_t)(0xC0 | cp >> 6);
                buf[o++] = (uint8_t)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                buf[o++] = (uint8_t)(0xE0 | cp >> 12);
                buf[o++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                buf[o++] = (uint8_t)(0x80 | (cp & 0x3F));
            } else {
                buf[o++] = (uint8_t)(0xF0 | cp >> 18);
                buf[o++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
                buf[o++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                buf[o++] = (uint8_t)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default:
            return -1;
        }
    }
    out->ptr = buf;
    out->len = o;
    return 1;
}

/* ------------------------------------------------------------------ output */

/* reasons for rejections: at most 256 bytes of UTF-8, cut at a character boundary */
typedef struct {
    char buf[256];
    uint32_t len;
} pf_text;

/* extra: empties t. `pf_text why; pf_text_clear(&why);` is the cheap way to start
 * one: `pf_text why = {{0}, 0};` zeroes 256 bytes each time, a few thousand fuel. */
PF_API void pf_text_clear(pf_text *t) { t->len = 0; }

/* extra: appends n bytes of UTF-8 text, cut (at a character boundary) at 256 */
PF_API void pf_text_bytes(pf_text *t, const uint8_t *s, uint32_t n) {
    uint32_t room = (uint32_t)sizeof t->buf - t->len;
    if (n > room) {
        n = room;
        /* Do not split a character: back off continuation bytes and their lead. */
        while (n > 0 && (s[n] & 0xC0) == 0x80) n--;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

PF_API void pf_text_str(pf_text *t, const char *s) {
    pf_text_bytes(t, (const uint8_t *)s, pf__strlen(s));
}

PF_API void pf_text_u64(pf_text *t, uint64_t v) {
    char d[20];
    uint32_t n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char s[20];
    for (uint32_t i = 0; i < n; i++) s[i] = d[n - 1 - i];
    pf_text_bytes(t, (const uint8_t *)s, n);
}

PF_API void pf_text_i64(pf_text *t, int64_t v) {
    if (v < 0) {
        pf_text_str(t, "-");
        pf_text_u64(t, 0 - (uint64_t)v);
    } else {
        pf_text_u64(t, (uint64_t)v);
    }
}

/* extra: a value in thousandths as a decimal (`-40.5`, `60`) */
PF_API void pf_text_milli(pf_text *t, int64_t v) {
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (v < 0) pf_text_str(t, "-");
    pf_text_u64(t, m / 1000);
    uint32_t frac = (uint32_t)(m % 1000);
    if (frac) {
        char s[4] = {'.', (char)('0' + frac / 100), (char)('0' + frac / 10 % 10), (char)('0' + frac % 10)};
        uint32_t n = 4;
        while (s[n - 1] == '0') n--;
        pf_text_bytes(t, (const uint8_t *)s, n);
    }
}

static pf_writer pf__scores;     /* items of FamilyOutput.scores */
static uint32_t pf__n_scores;
static pf_writer pf__rejections; /* items of FamilyOutput.rejections */
static uint32_t pf__n_rejections;
static pf_bytes pf__state;
static pf_writer pf__awards;     /* items of FamilyOutput.awards (version 2) */
static uint32_t pf__n_awards;

/* strictly ascending devices (the host refuses the output otherwise); score 0 is
 * skipped */
PF_API void pf_score(const uint8_t *device, uint64_t score) {
    if (score == 0) return;
    pf_put_raw(&pf__scores, device, 32);
    pf_put_u64(&pf__scores, score);
    pf__n_scores++;
}

/* `code`: 1 to 32 bytes of [a-z0-9_]; reason may be NULL (empty). Each report at
 * most once (the host refuses the output otherwise). */
PF_API void pf_reject(const uint8_t *report, const char *code, const pf_text *reason) {
    uint32_t clen = pf__strlen(code);
    pf_put_raw(&pf__rejections, report, 32);
    pf_put_u32(&pf__rejections, clen);
    pf_put_raw(&pf__rejections, code, clen);
    uint32_t rlen = reason ? reason->len : 0;
    pf_put_u32(&pf__rejections, rlen);
    if (rlen) pf_put_raw(&pf__rejections, reason->buf, rlen);
    pf__n_rejections++;
}

/* extra: an award (output version 2, ABI.md "Awards"): `tag` (the family's: the
 * mapping family's is an H3 cell) credited to `n` devices (1 to 8), ids strictly
 * ascending, each with a score; tags strictly ascending over calls (the host
 * refuses the output otherwise). An output with no award is version 1. */
PF_API void pf_award(uint64_t tag, const uint8_t *const *devices, uint32_t n) {
    pf_put_u64(&pf__awards, tag);
    pf_put_u32(&pf__awards, n);
    for (uint32_t k = 0; k < n; k++) pf_put_raw(&pf__awards, devices[k], 32);
    pf__n_awards++;
}

/* the state for the next epoch (default empty; at most 16 MiB): copied */
PF_API void pf_set_state(const uint8_t *p, uint32_t n) {
    uint8_t *copy = (uint8_t *)pf_alloc(n);
    if (n) memcpy(copy, p, n);
    pf__state.ptr = copy;
    pf__state.len = n;
}

/* -------------------------------------------------------------------- host */

#define PF__IMPORT(name) __attribute__((import_module("plinth"), import_name(name)))

PF__IMPORT("h3_resolution") int32_t pf__imp_h3_resolution(int64_t cell);
PF__IMPORT("h3_parent") int64_t pf__imp_h3_parent(int64_t cell, int32_t res);
PF__IMPORT("h3_center_child") int64_t pf__imp_h3_center_child(int64_t cell, int32_t res);
PF__IMPORT("h3_disk1") int32_t pf__imp_h3_disk1(int64_t cell, uint64_t *out);
PF__IMPORT("h3_distance_m") int64_t pf__imp_h3_distance_m(int64_t a, int64_t b);
PF__IMPORT("geo_distance_m")
int64_t pf__imp_geo_distance_m(int32_t lat_a, int32_t lng_a, int32_t lat_b, int32_t lng_b);
PF__IMPORT("ed25519_verify")
int32_t pf__imp_ed25519_verify(const uint8_t *pk, const uint8_t *msg, uint32_t len, const uint8_t *sig);
PF__IMPORT("geo_to_h3") int64_t pf__imp_geo_to_h3(int32_t lat, int32_t lng, int32_t res);

/* the cell's resolution, or -1 if not a valid H3 cell */
PF_API int32_t pf_h3_resolution(int64_t cell) { return pf__imp_h3_resolution(cell); }
/* the parent at res (the cell itself at its own resolution); -1 if invalid or finer */
PF_API int64_t pf_h3_parent(int64_t cell, int32_t res) { return pf__imp_h3_parent(cell, res); }
/* the centre child at res; -1 if invalid, coarser or above 15 */
PF_API int64_t pf_h3_center_child(int64_t cell, int32_t res) { return pf__imp_h3_center_child(cell, res); }
/* the cell and its grid-distance-1 neighbours, ascending; the count (7, 6 at a
 * pentagon) or -1 */
PF_API int32_t pf_h3_disk1(int64_t cell, uint64_t out[7]) { return pf__imp_h3_disk1(cell, out); }
/* metres between the cells' centres, rounded down; -1 if either is invalid */
PF_API int64_t pf_h3_distance_m(int64_t a, int64_t b) { return pf__imp_h3_distance_m(a, b); }
/* metres between two points in micro-degrees, rounded down; -1 if out of range */
PF_API int64_t pf_geo_distance_m(int32_t lat_a, int32_t lng_a, int32_t lat_b, int32_t lng_b) {
    return pf__imp_geo_distance_m(lat_a, lng_a, lat_b, lng_b);
}
/* the cell at res (0..=15) holding the point (micro-degrees); -1 if out of range */
PF_API int64_t pf_geo_to_h3(int32_t lat, int32_t lng, int32_t res) { return pf__imp_geo_to_h3(lat, lng, res); }
/* 1 iff sig is a valid (strict) ed25519 signature of msg[0..len) by pk */
PF_API int32_t pf_ed25519_verify(const uint8_t pk[32], const uint8_t *msg, uint32_t len, const uint8_t sig[64]) {
    return pf__imp_ed25519_verify(pk, msg, len, sig);
}

/* extra: pf_h3_at without the host call, for a `cell` whose resolution `own`
 * pf_h3_resolution gave (-1: not a cell, and -1 is returned). Lets a family take
 * one location to several resolutions for one host call. */
PF_API int64_t pf_h3_to(uint64_t cell, int32_t own, int32_t res) {
    if (own < 0 || own > 15 || res < 0 || res > 15) return -1;
    uint64_t c = (cell & ~((uint64_t)0xF << 52)) | ((uint64_t)res << 52);
    if (own >= res) {
        for (int32_t k = res + 1; k <= own; k++) c |= (uint64_t)7 << (3 * (15 - k));
    } else {
        for (int32_t k = own + 1; k <= res; k++) c &= ~((uint64_t)7 << (3 * (15 - k)));
    }
    return (int64_t)c;
}

/* extra: `location` taken to `res` (0..=15): its parent, or its centre child if
 * it is coarser; -1 if `location` is not a valid cell or `res` is outside 0..=15.
 * This is plinth_proofs::sensor::home_cell. One host call (the validity check);
 * the rest is the H3 index layout (resolution in bits 52..55, digit k in bits
 * 3(15 - k)..3(15 - k) + 2; digits finer than the resolution are 7, a centre
 * child's new digits 0). */
PF_API int64_t pf_h3_at(uint64_t location, int32_t res) {
    if (res < 0 || res > 15) return -1;
    return pf_h3_to(location, pf_h3_resolution((int64_t)location), res);
}

/* ------------------------------------------------------------ fixed point */

/* extra: floor(a × b / c) for c > 0, exact (a 128-bit product), when the result
 * fits 64 bits (else the low 64 bits). No compiler-rt: 32-bit limbs. */
PF_API uint64_t pf_mul_div(uint64_t a, uint64_t b, uint64_t c) {
    /* (The product by 32-bit limbs: clang lowers an overflow check of a * b to a
     * compiler-rt call, which a freestanding module does not have.) */
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    uint64_t lo = (p00 & 0xffffffffu) | (mid << 32);
    uint64_t hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    if (hi == 0) return lo / c;
    /* 128 / 64 by shift and subtract; the remainder stays below c < 2^64 but can
     * carry out of 64 bits while shifting. */
    uint64_t q = 0, r = 0;
    for (int i = 127; i >= 0; i--) {
        uint64_t carry = r >> 63;
        uint64_t bit = i >= 64 ? (hi >> (i - 64)) & 1 : (lo >> i) & 1;
        r = (r << 1) | bit;
        q <<= 1;
        if (carry || r >= c) {
            r -= c;
            q |= 1;
        }
    }
    return q;
}

/* extra: num / den as a fraction of PF_SCORE_ONE, rounded down, capped at 1.0; 0
 * when den is 0 (plinth_proofs::fixed::fraction) */
PF_API uint64_t pf_fraction(uint64_t num, uint64_t den) {
    if (den == 0) return 0;
    return pf_mul_div(num < den ? num : den, PF_SCORE_ONE, den);
}

/* extra: a × b for two fixed-point factors in [0, PF_SCORE_ONE], rounded down
 * (plinth_proofs::fixed::mul) */
PF_API uint64_t pf_mul(uint64_t a, uint64_t b) { return pf_mul_div(a, b, PF_SCORE_ONE); }

/* ------------------------------------------------------------------- entry */

PF_API int32_t pf__entry_alloc(int32_t len) { return (int32_t)(uintptr_t)pf_alloc((uint32_t)len); }

PF_API int64_t pf__entry_score(int32_t ptr, int32_t len, int32_t abi, int (*fn)(const pf_input *)) {
    if (abi != 1) return -(int64_t)PF_ERR_MALFORMED;
    pf_bytes bytes;
    bytes.ptr = (const uint8_t *)(uintptr_t)(uint32_t)ptr;
    bytes.len = (uint32_t)len;
    pf_input in;
    int rc = pf__decode(bytes, &in);
    if (rc) return -(int64_t)rc;
    rc = fn(&in);
    if (rc) return rc > 0 ? -(int64_t)rc : (int64_t)rc;
    pf_writer out = {0, 0, 0};
    uint64_t total = 4 + 4 + (uint64_t)pf__scores.len + 4 + pf__rejections.len + 4 + pf__state.len;
    if (pf__n_awards) total += 4 + (uint64_t)pf__awards.len;
    if (total > 0x7fffffffu) __builtin_trap();
    pf__reserve(&out, (uint32_t)total);
    pf_put_u32(&out, pf__n_awards ? 2 : 1);
    pf_put_u32(&out, pf__n_scores);
    pf_put_raw(&out, pf__scores.buf, pf__scores.len);
    pf_put_u32(&out, pf__n_rejections);
    pf_put_raw(&out, pf__rejections.buf, pf__rejections.len);
    pf_put_u32(&out, pf__state.len);
    pf_put_raw(&out, pf__state.ptr, pf__state.len);
    if (pf__n_awards) {
        pf_put_u32(&out, pf__n_awards);
        pf_put_raw(&out, pf__awards.buf, pf__awards.len);
    }
    return (int64_t)((uint64_t)(uintptr_t)out.buf << 32 | out.len);
}

/* The entry: defines plinth_alloc and plinth_score; plinth_score reads the input
 * (PF_ERR_MALFORMED if it does not decode), calls `int fn(const pf_input *in)`
 * which returns 0 or a PF_ERR_* / own code, then writes the output (abi, scores,
 * rejections, state; with awards: abi 2 and the awards) and returns ptr<<32|len (or -code). */
#define PF_FAMILY(fn)                                                                         \
    __attribute__((export_name("plinth_alloc"))) int32_t plinth_alloc(int32_t len);           \
    __attribute__((export_name("plinth_alloc"))) int32_t plinth_alloc(int32_t len) {          \
        return pf__entry_alloc(len);                                                          \
    }                                                                                         \
    __attribute__((export_name("plinth_score"))) int64_t plinth_score(int32_t ptr, int32_t len, \
                                                                      int32_t abi);           \
    __attribute__((export_name("plinth_score"))) int64_t plinth_score(int32_t ptr, int32_t len, \
                                                                      int32_t abi) {          \
        return pf__entry_score(ptr, len, abi, fn);                                            \
    }

#endif /* PLINTH_FAMILY_H */
