// Plinth explorer: the basemap under the map's hexagons, country borders and
// coastlines from Natural Earth (public domain) as world-atlas's TopoJSON (ISC),
// vendored in web/basemap/ (see its README), compiled into the node and served at
// BASEMAP_URL. Nothing is fetched from anywhere else.
//
// TopoJSON in brief (https://github.com/topojson/topojson-specification): a
// border two countries share is stored once, as an *arc* (a line of positions);
// a polygon lists each of its rings as arc indices, where ~i (that is -i-1) means
// arc i walked backwards, and consecutive arcs of a ring share their end point.
// A *quantized* topology (one with a `transform`) stores each arc as integer
// deltas: position k is the running sum of deltas 0..k, times `scale`, plus
// `translate`. Without a transform, arcs hold plain [lon, lat] positions.
// decode() handles both; this file does not import app.js, which hands the map
// its projection.

export const BASEMAP_URL = '/explorer/basemap/countries-110m.json';

// The arcs as [lon, lat] positions, undoing the quantization if there is one.
function decodeArcs(topo) {
  const t = topo.transform;
  if (!t) return topo.arcs;
  const [sx, sy] = t.scale;
  const [tx, ty] = t.translate;
  return topo.arcs.map((arc) => {
    let x = 0; let y = 0;
    return arc.map(([dx, dy]) => { x += dx; y += dy; return [x * sx + tx, y * sy + ty]; });
  });
}

// A ring's positions from its arc indices.
function ring(arcs, indices) {
  const out = [];
  for (const i of indices) {
    const arc = arcs[i < 0 ? ~i : i];
    if (!arc) throw new Error(`basemap: arc ${i} does not exist`);
    const pts = i < 0 ? arc.slice().reverse() : arc;
    if (out.length) out.pop(); // the previous arc's last position is this one's first
    out.push(...pts);
  }
  return out;
}

/**
 * The polygon features of `topo`'s object `name` (a GeometryCollection or a single
 * geometry), decoded: `[{ id, name, polygons: [[ring, …], …] }]` where a ring is a
 * list of [lon, lat] and each polygon's first ring is its outside, the rest holes.
 * Other geometry types (lines, points, null) are skipped.
 */
export function decode(topo, name) {
  if (!topo || topo.type !== 'Topology' || !topo.objects || !topo.objects[name] || !Array.isArray(topo.arcs)) {
    throw new Error(`basemap: not a TopoJSON topology with an object "${name}"`);
  }
  const arcs = decodeArcs(topo);
  const features = [];
  const walk = (g) => {
    if (g.type === 'GeometryCollection') return g.geometries.forEach(walk);
    const polys = g.type === 'Polygon' ? [g.arcs] : g.type === 'MultiPolygon' ? g.arcs : null;
    if (!polys) return;
    features.push({
      id: g.id,
      name: (g.properties && g.properties.name) || String(g.id ?? ''),
      polygons: polys.map((rings) => rings.map((r) => ring(arcs, r))),
    });
  };
  walk(topo.objects[name]);
  return features;
}

let loading = null;

/** The basemap's countries, fetched from the node once per page load. */
export function loadCountries() {
  if (!loading) {
    loading = fetch(BASEMAP_URL)
      .then((r) => { if (!r.ok) throw new Error(`basemap: HTTP ${r.status}`); return r.json(); })
      .then((topo) => decode(topo, 'countries'))
      .catch((e) => { loading = null; throw e; });
  }
  return loading;
}

// A ring's longitudes made continuous (no step over 180°), for a map whose x
// follows the longitude: a ring that crosses the antimeridian (Fiji, Chukotka)
// then runs past ±180° instead of striping across the world, and one that goes
// round a pole (Antarctica) is closed along that pole's edge of the map.
function unwrap(r) {
  const out = [];
  let prev = null;
  for (const [lon, lat] of r) {
    let x = lon;
    if (prev !== null) x += 360 * Math.round((prev - x) / 360);
    out.push([x, lat]);
    prev = x;
  }
  const turn = out.length ? out[out.length - 1][0] - out[0][0] : 0;
  if (Math.abs(turn) > 180) {
    const pole = out.reduce((a, p) => a + p[1], 0) < 0 ? -90 : 90;
    out.push([out[out.length - 1][0], pole], [out[0][0], pole]);
  }
  return out;
}

// A polygon's rings, unwrapped, once for each world copy (shifted by 360°) that
// overlaps -180°..180°.
function copies(polygon) {
  const rings = polygon.map(unwrap);
  const lons = rings.flat().map((p) => p[0]);
  const [lo, hi] = [Math.min(...lons), Math.max(...lons)];
  return [-360, 0, 360]
    .filter((s) => lo + s < 180 && hi + s > -180)
    .flatMap((s) => rings.map((r) => (s ? r.map(([x, y]) => [x + s, y]) : r)));
}

/**
 * SVG for the countries, projected with `project(lat, lon) → [x, y]` (the map's
 * own, so the hexagons land where they belong; it must be cylindrical, x
 * following the longitude, and take longitudes a little past ±180°): one path per
 * country, filled as land and outlined (its coast and borders), in a group meant
 * to sit under the hexagons. Paths are filled with the even-odd rule, so holes
 * (Lesotho in South Africa) stay open whatever their winding.
 */
export function basemapSvg(countries, project) {
  const f = (v) => +v.toFixed(4);
  const paths = countries.map((c) => {
    const d = c.polygons.flatMap(copies).map((r) => r.map(([lon, lat], i) => {
      const [x, y] = project(lat, lon);
      return `${i ? 'L' : 'M'}${f(x)},${f(y)}`;
    }).join('') + 'Z').join('');
    const name = String(c.name).replace(/[&<>"']/g, '');
    return `<path class="country" data-name="${name}" d="${d}"/>`;
  }).join('');
  return `<g class="basemap">${paths}</g>`;
}
