/*
 * Plinth's demo compute workload: a deterministic Monte-Carlo path tracer.
 *
 * Built for wasm32 by ../build.sh (freestanding C, no libc, no libm, no imports)
 * into ../render.wasm, which implements the Plinth task ABI v1:
 *
 *   exports  memory
 *            plinth_alloc(len: i32) -> i32           a buffer of len bytes (0: none)
 *            plinth_task(ptr: i32, len: i32, task: i32) -> i64
 *
 * The host calls, on a fresh instance per task, p = plinth_alloc(len), writes the job
 * input at p, then r = plinth_task(p, len, task). r < 0 is a failure with code -r:
 *
 *   1  malformed input (any field out of its documented range, wrong length)
 *   2  task index out of range
 *   3  out of memory
 *
 * otherwise the output is the (r >> 32, r & 0xffffffff) = (pointer, length) bytes:
 * the RGB8 pixels of tile `task`, row-major, tile_w * tile_h * 3 bytes. Tiles are
 * numbered row-major over the image; edge tiles are smaller.
 *
 * Input format (version 1, little-endian, every real number a signed 32-bit fixed
 * point with 16 fractional bits, "q16"; a vec3 is three q16):
 *
 *   off  size  field
 *     0     4  magic "PLRS"
 *     4     2  u16 version = 1
 *     6     2  u16 width              1..=4096
 *     8     2  u16 height             1..=4096
 *    10     2  u16 tile               1..=256 (square tiles of tile x tile pixels)
 *    12     2  u16 samples per pixel  1..=1024
 *    14     1  u8  max bounces        1..=32 (path segments traced per sample)
 *    15     1  u8  material count     1..=16
 *    16     1  u8  object count       1..=128
 *    17     3  reserved, zero
 *    20     4  u32 seed
 *    24    12  camera position        vec3, each |c| <= 10000
 *    36    12  camera look-at         vec3, each |c| <= 10000, != position
 *    48    12  camera up              vec3, each |c| <= 10000, not along the view
 *    60     4  tan(vertical fov / 2)  q16 in [0.01, 100]
 *    64    12  sky colour at the horizon  vec3, each in [0, 64]
 *    76    12  sky colour at the zenith   vec3, each in [0, 64]
 *    88  20*m  materials: u8 kind, 3 zero bytes, colour vec3, param q16
 *                0 diffuse     colour = albedo in [0, 1], param 0
 *                1 metal       colour = albedo in [0, 1], param = fuzz in [0, 1]
 *                2 dielectric  colour = tint in [0, 1],   param = index of refraction in [1, 4]
 *                3 emissive    colour = radiance in [0, 1000], param 0
 *     .  28*n  objects: u8 kind, u8 material index (< m), 2 zero bytes, six q16
 *                0 sphere  centre vec3, radius in (0, 10000], two zero words
 *                1 plane   normal vec3 (not zero), offset: the points p with
 *                          normal . p = offset * |normal|; two zero words
 *                2 box     min vec3, max vec3, min < max on every axis
 *
 * and nothing after: the input is exactly 88 + 20 m + 28 n bytes.
 *
 * The world's up is +y for the sky: the horizon colour looking level or down,
 * blending linearly (in the direction's y) to the zenith colour straight up.
 *
 * Determinism: only IEEE-754 double +, -, *, / and sqrt (exactly rounded in
 * WebAssembly), no uninitialised reads, every loop bounded by the input's declared
 * counts, and randomness from a PCG32 seeded only by (seed, pixel x, pixel y,
 * sample), so a pixel does not depend on the tile size either.
 */

#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

enum { ERR_MALFORMED = 1, ERR_TASK = 2, ERR_MEMORY = 3 };

#define MAGIC_0 'P'
#define MAGIC_1 'L'
#define MAGIC_2 'R'
#define MAGIC_3 'S'
#define VERSION 1
#define HEADER_BYTES 88
#define MATERIAL_BYTES 20
#define OBJECT_BYTES 28
#define MAX_DIMENSION 4096
#define MAX_TILE 256
#define MAX_SAMPLES 1024
#define MAX_BOUNCES 32
#define MAX_MATERIALS 16
#define MAX_OBJECTS 128

#define Q16_ONE 65536
#define MAX_COORD (10000 * Q16_ONE)
#define MAX_SKY (64 * Q16_ONE)
#define MAX_EMISSION (1000 * Q16_ONE)
#define MIN_TAN (Q16_ONE / 100) /* 0.01 after truncation: 655 / 65536 */
#define MAX_TAN (100 * Q16_ONE)
#define MAX_IOR (4 * Q16_ONE)

/* Rejection sampling is capped; the fallback is reached with probability ~1e-21. */
#define MAX_REJECTIONS 64
/* Hits closer than this are the surface the ray leaves from. */
#define T_MIN 1e-4
#define T_FAR 1e30

/* ---------------------------------------------------------------- memory */

extern unsigned char __heap_base;
static uintptr_t heap_next;

/* A bump allocator over the linear memory, growing it as needed; a fresh
 * instance runs each task, so nothing is ever freed. */
static void *heap_alloc(uint32_t len) {
    if (heap_next == 0) heap_next = (uintptr_t)&__heap_base;
    uintptr_t start = (heap_next + 7u) & ~(uintptr_t)7u;
    if (start < heap_next || len > 0x40000000u) return 0;
    uintptr_t end = start + len;
    uintptr_t have = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        uintptr_t pages = (end - have + 65535u) / 65536u;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
    }
    heap_next = end;
    return (void *)start;
}

EXPORT("plinth_alloc")
int32_t plinth_alloc(int32_t len) {
    if (len < 0) return 0;
    return (int32_t)(uintptr_t)heap_alloc((uint32_t)len);
}

/* ---------------------------------------------------------------- vectors */

typedef struct { double x, y, z; } vec3;

static vec3 v3(double x, double y, double z) { vec3 v = {x, y, z}; return v; }
static vec3 add(vec3 a, vec3 b) { return v3(a.x + b.x, a.y + b.y, a.z + b.z); }
static vec3 sub(vec3 a, vec3 b) { return v3(a.x - b.x, a.y - b.y, a.z - b.z); }
static vec3 mul(vec3 a, vec3 b) { return v3(a.x * b.x, a.y * b.y, a.z * b.z); }
static vec3 scale(vec3 a, double s) { return v3(a.x * s, a.y * s, a.z * s); }
static double dot(vec3 a, vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static vec3 cross(vec3 a, vec3 b) {
    return v3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x);
}
static double length(vec3 a) { return __builtin_sqrt(dot(a, a)); }
/* The caller makes sure |a| is well above zero. */
static vec3 unit(vec3 a) { return scale(a, 1.0 / length(a)); }
static double axis(vec3 a, int i) { return i == 0 ? a.x : (i == 1 ? a.y : a.z); }
static vec3 axis_vec(int i, double s) {
    return v3(i == 0 ? s : 0.0, i == 1 ? s : 0.0, i == 2 ? s : 0.0);
}

/* ---------------------------------------------------------------- randomness */

/* PCG32 (O'Neill, pcg-random.org): XSH RR output of a 64-bit LCG. */
typedef struct { uint64_t state; } rng_t;

static uint64_t mix64(uint64_t z) { /* splitmix64's finaliser */
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rng_u32(rng_t *r) {
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

static rng_t rng_seed(uint32_t seed, uint32_t px, uint32_t py, uint32_t sample) {
    rng_t r;
    r.state = mix64(mix64(((uint64_t)seed << 32) | sample) ^ (((uint64_t)py << 32) | px));
    rng_u32(&r);
    return r;
}

/* Uniform in [0, 1). */
static double rng_unit(rng_t *r) { return (double)rng_u32(r) * (1.0 / 4294967296.0); }

/* Uniform in the unit ball (excluding a tiny ball around the origin). */
static vec3 in_unit_ball(rng_t *r) {
    for (int i = 0; i < MAX_REJECTIONS; i++) {
        vec3 p = v3(2.0 * rng_unit(r) - 1.0, 2.0 * rng_unit(r) - 1.0, 2.0 * rng_unit(r) - 1.0);
        double l2 = dot(p, p);
        if (l2 <= 1.0 && l2 > 1e-12) return p;
    }
    return v3(0.0, 0.0, 0.0);
}

/* ---------------------------------------------------------------- the scene */

enum { MAT_DIFFUSE = 0, MAT_METAL = 1, MAT_DIELECTRIC = 2, MAT_EMISSIVE = 3 };
enum { OBJ_SPHERE = 0, OBJ_PLANE = 1, OBJ_BOX = 2 };

typedef struct {
    int kind;
    vec3 color;
    double param;
} material_t;

typedef struct {
    int kind;
    int material;
    vec3 a; /* sphere: centre; plane: unit normal; box: min */
    vec3 b; /* box: max */
    double s; /* sphere: radius; plane: offset along the unit normal */
} object_t;

typedef struct {
    uint32_t width, height, tile, samples, bounces, seed;
    uint32_t material_count, object_count;
    vec3 eye, forward, right, up; /* right and up scaled by tan(fov/2), right by the aspect */
    vec3 horizon, zenith;
    material_t materials[MAX_MATERIALS];
    object_t objects[MAX_OBJECTS];
} scene_t;

static scene_t scene;

/* A bounded little-endian reader: every read checks the remaining length. */
typedef struct {
    const uint8_t *p;
    uint32_t left;
    int bad;
} reader_t;

static uint32_t rd_u8(reader_t *r) {
    if (r->left < 1) { r->bad = 1; return 0; }
    uint32_t v = r->p[0];
    r->p += 1; r->left -= 1;
    return v;
}
static uint32_t rd_u16(reader_t *r) {
    if (r->left < 2) { r->bad = 1; return 0; }
    uint32_t v = (uint32_t)r->p[0] | ((uint32_t)r->p[1] << 8);
    r->p += 2; r->left -= 2;
    return v;
}
static uint32_t rd_u32(reader_t *r) {
    if (r->left < 4) { r->bad = 1; return 0; }
    uint32_t v = (uint32_t)r->p[0] | ((uint32_t)r->p[1] << 8) | ((uint32_t)r->p[2] << 16) |
                 ((uint32_t)r->p[3] << 24);
    r->p += 4; r->left -= 4;
    return v;
}
/* A q16 in [lo, hi] (raw fixed-point units), as a double; out of range marks the
 * input bad. */
static double rd_q16(reader_t *r, int32_t lo, int32_t hi) {
    int32_t v = (int32_t)rd_u32(r);
    if (v < lo || v > hi) r->bad = 1;
    return (double)v * (1.0 / 65536.0);
}
static vec3 rd_vec(reader_t *r, int32_t lo, int32_t hi) {
    double x = rd_q16(r, lo, hi);
    double y = rd_q16(r, lo, hi);
    double z = rd_q16(r, lo, hi);
    return v3(x, y, z);
}
static void rd_zero(reader_t *r, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (rd_u8(r) != 0) r->bad = 1;
}

/* Decodes and checks the whole input into `scene`; 0 when valid. */
static int decode(const uint8_t *input, uint32_t len) {
    reader_t r = {input, len, 0};
    if (len < HEADER_BYTES) return ERR_MALFORMED;
    if (rd_u8(&r) != MAGIC_0 || rd_u8(&r) != MAGIC_1 || rd_u8(&r) != MAGIC_2 ||
        rd_u8(&r) != MAGIC_3)
        return ERR_MALFORMED;
    if (rd_u16(&r) != VERSION) return ERR_MALFORMED;
    scene.width = rd_u16(&r);
    scene.height = rd_u16(&r);
    scene.tile = rd_u16(&r);
    scene.samples = rd_u16(&r);
    scene.bounces = rd_u8(&r);
    scene.material_count = rd_u8(&r);
    scene.object_count = rd_u8(&r);
    rd_zero(&r, 3);
    scene.seed = rd_u32(&r);
    if (scene.width < 1 || scene.width > MAX_DIMENSION || scene.height < 1 ||
        scene.height > MAX_DIMENSION || scene.tile < 1 || scene.tile > MAX_TILE ||
        scene.samples < 1 || scene.samples > MAX_SAMPLES || scene.bounces < 1 ||
        scene.bounces > MAX_BOUNCES || scene.material_count < 1 ||
        scene.material_count > MAX_MATERIALS || scene.object_count < 1 ||
        scene.object_count > MAX_OBJECTS)
        return ERR_MALFORMED;
    if (len != HEADER_BYTES + MATERIAL_BYTES * scene.material_count +
                   OBJECT_BYTES * scene.object_count)
        return ERR_MALFORMED;

    vec3 eye = rd_vec(&r, -MAX_COORD, MAX_COORD);
    vec3 look_at = rd_vec(&r, -MAX_COORD, MAX_COORD);
    vec3 up = rd_vec(&r, -MAX_COORD, MAX_COORD);
    double tan_half = rd_q16(&r, MIN_TAN, MAX_TAN);
    scene.horizon = rd_vec(&r, 0, MAX_SKY);
    scene.zenith = rd_vec(&r, 0, MAX_SKY);
    if (r.bad) return ERR_MALFORMED;

    /* The camera basis from vectors only (no trigonometry in here). */
    vec3 view = sub(look_at, eye);
    if (length(view) < 1e-3) return ERR_MALFORMED;
    vec3 forward = unit(view);
    if (length(up) < 1e-3) return ERR_MALFORMED;
    vec3 side = cross(forward, unit(up));
    if (length(side) < 1e-3) return ERR_MALFORMED; /* up along the view */
    vec3 right = unit(side);
    vec3 true_up = cross(right, forward);
    double aspect = (double)scene.width / (double)scene.height;
    scene.eye = eye;
    scene.forward = forward;
    scene.right = scale(right, tan_half * aspect);
    scene.up = scale(true_up, tan_half);

    for (uint32_t i = 0; i < scene.material_count; i++) {
        material_t *m = &scene.materials[i];
        m->kind = (int)rd_u8(&r);
        rd_zero(&r, 3);
        switch (m->kind) {
        case MAT_DIFFUSE:
            m->color = rd_vec(&r, 0, Q16_ONE);
            m->param = rd_q16(&r, 0, 0);
            break;
        case MAT_METAL:
            m->color = rd_vec(&r, 0, Q16_ONE);
            m->param = rd_q16(&r, 0, Q16_ONE);
            break;
        case MAT_DIELECTRIC:
            m->color = rd_vec(&r, 0, Q16_ONE);
            m->param = rd_q16(&r, Q16_ONE, MAX_IOR);
            break;
        case MAT_EMISSIVE:
            m->color = rd_vec(&r, 0, MAX_EMISSION);
            m->param = rd_q16(&r, 0, 0);
            break;
        default:
            return ERR_MALFORMED;
        }
    }
    for (uint32_t i = 0; i < scene.object_count; i++) {
        object_t *o = &scene.objects[i];
        o->kind = (int)rd_u8(&r);
        o->material = (int)rd_u8(&r);
        rd_zero(&r, 2);
        if ((uint32_t)o->material >= scene.material_count) return ERR_MALFORMED;
        switch (o->kind) {
        case OBJ_SPHERE:
            o->a = rd_vec(&r, -MAX_COORD, MAX_COORD);
            o->s = rd_q16(&r, 1, MAX_COORD);
            o->b = v3(0.0, 0.0, 0.0);
            rd_zero(&r, 8);
            break;
        case OBJ_PLANE: {
            vec3 n = rd_vec(&r, -MAX_COORD, MAX_COORD);
            o->s = rd_q16(&r, -MAX_COORD, MAX_COORD);
            o->b = v3(0.0, 0.0, 0.0);
            rd_zero(&r, 8);
            if (length(n) < 1e-3) return ERR_MALFORMED;
            o->a = unit(n);
            break;
        }
        case OBJ_BOX:
            o->a = rd_vec(&r, -MAX_COORD, MAX_COORD);
            o->b = rd_vec(&r, -MAX_COORD, MAX_COORD);
            o->s = 0.0;
            if (!(o->a.x < o->b.x && o->a.y < o->b.y && o->a.z < o->b.z)) return ERR_MALFORMED;
            break;
        default:
            return ERR_MALFORMED;
        }
    }
    if (r.bad || r.left != 0) return ERR_MALFORMED;
    return 0;
}

/* ---------------------------------------------------------------- tracing */

typedef struct {
    double t;
    vec3 point;
    vec3 normal; /* unit, against the ray */
    int front;   /* the ray arrived from the outside */
    int material;
} hit_t;

/* Sets the hit's normal against the ray from an outward unit normal. */
static void set_face(hit_t *h, vec3 dir, vec3 outward) {
    h->front = dot(dir, outward) < 0.0;
    h->normal = h->front ? outward : scale(outward, -1.0);
}

static int hit_sphere(const object_t *o, vec3 orig, vec3 dir, double t_max, hit_t *h) {
    vec3 oc = sub(orig, o->a);
    double half_b = dot(oc, dir); /* dir is a unit vector */
    double c = dot(oc, oc) - o->s * o->s;
    double disc = half_b * half_b - c;
    if (disc < 0.0) return 0;
    double root = __builtin_sqrt(disc);
    double t = -half_b - root;
    if (t < T_MIN || t > t_max) {
        t = -half_b + root;
        if (t < T_MIN || t > t_max) return 0;
    }
    h->t = t;
    h->point = add(orig, scale(dir, t));
    set_face(h, dir, scale(sub(h->point, o->a), 1.0 / o->s));
    return 1;
}

static int hit_plane(const object_t *o, vec3 orig, vec3 dir, double t_max, hit_t *h) {
    double denom = dot(o->a, dir);
    if (denom > -1e-12 && denom < 1e-12) return 0;
    double t = (o->s - dot(o->a, orig)) / denom;
    if (t < T_MIN || t > t_max) return 0;
    h->t = t;
    h->point = add(orig, scale(dir, t));
    set_face(h, dir, o->a);
    return 1;
}

static int hit_box(const object_t *o, vec3 orig, vec3 dir, double t_max, hit_t *h) {
    double t_in = -T_FAR, t_out = T_FAR;
    int axis_in = 0, axis_out = 0;
    for (int i = 0; i < 3; i++) {
        double d = axis(dir, i), p = axis(orig, i);
        double lo = axis(o->a, i), hi = axis(o->b, i);
        if (d > -1e-12 && d < 1e-12) {
            if (p < lo || p > hi) return 0;
            continue;
        }
        double inv = 1.0 / d;
        double t0 = (lo - p) * inv, t1 = (hi - p) * inv;
        if (t0 > t1) { double s = t0; t0 = t1; t1 = s; }
        if (t0 > t_in) { t_in = t0; axis_in = i; }
        if (t1 < t_out) { t_out = t1; axis_out = i; }
    }
    if (t_in > t_out) return 0;
    double t;
    vec3 outward;
    if (t_in >= T_MIN && t_in <= t_max) {
        t = t_in;
        outward = axis_vec(axis_in, axis(dir, axis_in) > 0.0 ? -1.0 : 1.0);
    } else if (t_out >= T_MIN && t_out <= t_max && t_in < T_MIN) {
        t = t_out;
        outward = axis_vec(axis_out, axis(dir, axis_out) > 0.0 ? 1.0 : -1.0);
    } else {
        return 0;
    }
    h->t = t;
    h->point = add(orig, scale(dir, t));
    set_face(h, dir, outward);
    return 1;
}

/* The nearest hit along the ray, if any. */
static int hit_scene(vec3 orig, vec3 dir, hit_t *best) {
    int found = 0;
    double t_max = T_FAR;
    for (uint32_t i = 0; i < scene.object_count; i++) {
        const object_t *o = &scene.objects[i];
        hit_t h;
        int hit;
        switch (o->kind) {
        case OBJ_SPHERE: hit = hit_sphere(o, orig, dir, t_max, &h); break;
        case OBJ_PLANE: hit = hit_plane(o, orig, dir, t_max, &h); break;
        default: hit = hit_box(o, orig, dir, t_max, &h); break;
        }
        if (hit) {
            h.material = o->material;
            *best = h;
            t_max = h.t;
            found = 1;
        }
    }
    return found;
}

/* The horizon colour looking level or down, blending to the zenith's straight up. */
static vec3 sky(vec3 dir) {
    double t = dir.y > 0.0 ? dir.y : 0.0;
    return add(scale(scene.horizon, 1.0 - t), scale(scene.zenith, t));
}

static vec3 reflect(vec3 v, vec3 n) { return sub(v, scale(n, 2.0 * dot(v, n))); }

/* The radiance arriving along one camera ray. */
static vec3 trace(vec3 orig, vec3 dir, rng_t *rng) {
    vec3 radiance = v3(0.0, 0.0, 0.0);
    vec3 throughput = v3(1.0, 1.0, 1.0);
    for (uint32_t bounce = 0; bounce < scene.bounces; bounce++) {
        hit_t h;
        if (!hit_scene(orig, dir, &h)) {
            radiance = add(radiance, mul(throughput, sky(dir)));
            break;
        }
        const material_t *m = &scene.materials[h.material];
        vec3 next;
        switch (m->kind) {
        case MAT_EMISSIVE:
            return add(radiance, mul(throughput, m->color));
        case MAT_DIFFUSE: {
            /* Cosine-weighted: the normal plus a uniform unit vector. */
            vec3 b = in_unit_ball(rng);
            double l = length(b);
            next = h.normal;
            if (l > 1e-6) {
                vec3 s = add(h.normal, scale(b, 1.0 / l));
                if (length(s) > 1e-6) next = unit(s);
            }
            break;
        }
        case MAT_METAL: {
            vec3 s = add(reflect(dir, h.normal), scale(in_unit_ball(rng), m->param));
            if (dot(s, h.normal) <= 0.0 || length(s) < 1e-6) return radiance; /* absorbed */
            next = unit(s);
            break;
        }
        default: { /* MAT_DIELECTRIC */
            double eta = h.front ? 1.0 / m->param : m->param;
            double cos_i = -dot(dir, h.normal);
            if (cos_i > 1.0) cos_i = 1.0;
            double sin2_t = eta * eta * (1.0 - cos_i * cos_i);
            double r0 = (1.0 - eta) / (1.0 + eta);
            r0 = r0 * r0;
            double k = 1.0 - cos_i, k2 = k * k;
            double schlick = r0 + (1.0 - r0) * k2 * k2 * k;
            if (sin2_t > 1.0 || rng_unit(rng) < schlick) {
                next = reflect(dir, h.normal);
            } else {
                double cos_t = __builtin_sqrt(1.0 - sin2_t);
                next = add(scale(dir, eta), scale(h.normal, eta * cos_i - cos_t));
            }
            if (length(next) < 1e-6) return radiance;
            next = unit(next);
            break;
        }
        }
        throughput = mul(throughput, m->color);
        orig = h.point;
        dir = next;
    }
    return radiance;
}

/* A linear channel value to 8 bits: clamp to [0, 1], gamma 2, round. */
static uint8_t to_byte(double c) {
    if (!(c > 0.0)) return 0; /* also NaN */
    if (c >= 1.0) return 255;
    return (uint8_t)(__builtin_sqrt(c) * 255.0 + 0.5);
}

static vec3 render_pixel(uint32_t px, uint32_t py) {
    vec3 sum = v3(0.0, 0.0, 0.0);
    double w = (double)scene.width, hgt = (double)scene.height;
    for (uint32_t s = 0; s < scene.samples; s++) {
        rng_t rng = rng_seed(scene.seed, px, py, s);
        double u = 2.0 * (((double)px + rng_unit(&rng)) / w) - 1.0;
        double v = 1.0 - 2.0 * (((double)py + rng_unit(&rng)) / hgt);
        vec3 dir = add(scene.forward, add(scale(scene.right, u), scale(scene.up, v)));
        sum = add(sum, trace(scene.eye, unit(dir), &rng));
    }
    return scale(sum, 1.0 / (double)scene.samples);
}

EXPORT("plinth_task")
int64_t plinth_task(int32_t input_ptr, int32_t input_len, int32_t task) {
    if (input_ptr < 0 || input_len < 0) return -ERR_MALFORMED;
    uint64_t memory_bytes = (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
    if ((uint64_t)(uint32_t)input_ptr + (uint64_t)(uint32_t)input_len > memory_bytes)
        return -ERR_MALFORMED;
    int err = decode((const uint8_t *)(uintptr_t)input_ptr, (uint32_t)input_len);
    if (err) return -err;

    uint32_t tiles_x = (scene.width + scene.tile - 1) / scene.tile;
    uint32_t tiles_y = (scene.height + scene.tile - 1) / scene.tile;
    if (task < 0 || (uint32_t)task >= tiles_x * tiles_y) return -ERR_TASK;
    uint32_t x0 = ((uint32_t)task % tiles_x) * scene.tile;
    uint32_t y0 = ((uint32_t)task / tiles_x) * scene.tile;
    uint32_t tw = scene.width - x0 < scene.tile ? scene.width - x0 : scene.tile;
    uint32_t th = scene.height - y0 < scene.tile ? scene.height - y0 : scene.tile;

    uint32_t out_len = tw * th * 3u;
    uint8_t *out = heap_alloc(out_len);
    if (!out) return -ERR_MEMORY;
    uint32_t k = 0;
    for (uint32_t y = 0; y < th; y++) {
        for (uint32_t x = 0; x < tw; x++) {
            vec3 c = render_pixel(x0 + x, y0 + y);
            out[k++] = to_byte(c.x);
            out[k++] = to_byte(c.y);
            out[k++] = to_byte(c.z);
        }
    }
    return (int64_t)(((uint64_t)(uintptr_t)out << 32) | out_len);
}
