// Plinth explorer: the Energy pages (each energy network's market: its zones on a
// map coloured by the last cleared price, a chart of price and volume per
// interval, the zone clearings and how they settled; certificates; a meter's
// readings, refusals, orders, trades and settlements). Reads only /v1/energy…
// (see crates/node/src/energy_api.rs) and, for the zones' hexagons, /v1/map at
// the network's zone resolution; app.js hands it its helpers, so the two
// modules do not import each other.

const LIST = 100;
// The overview's chart spans this many intervals (fewer when there are many
// zones: one request of the API's largest page draws it).
const CHART_INTERVALS = 40;
const MAX_PAGE = 1000;
// Rows of the overview's recent clearings, and its certificates.
const RECENT = 30;
const CERTS = 10;
// Epochs the overview looks back for the latest verified generation.
const GEN_EPOCHS = 12;
const NO_TRADE = '#8b949e';
const ZONE_PALETTE = ['#4fb3ff', '#f0883e', '#d2a8ff', '#56d4dd', '#db61a2', '#3fb950', '#e3b341', '#ff7b72'];
// The price ramp of the map: cheap (green) to dear (red).
const RAMP = [[0x3f, 0xb9, 0x50], [0xe3, 0xb3, 0x41], [0xff, 0x7b, 0x72]];

/** The Energy pages, drawn with app.js's helpers `h`. */
export function energy(h) {
  const { api, esc, num, short, linkAcct, linkBlock, linkDev, card, render } = h;
  const wh = (n) => `${num(n)} Wh`;
  const price = (p) => `${num(p)} cr/kWh`;
  const credits = (n) => `${num(n)} cr`;
  const secs = (ms) => (ms % 1000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 120_000 && ms % 60_000 === 0 ? `${num(ms / 60_000)} min` : `${num(ms / 1000)} s`);
  const enc = encodeURIComponent;
  const linkMeter = (d) => `<a class="mono" href="#/energy/meter/${esc(d)}">${esc(short(d, 12))}</a>`;
  const linkOrder = (seq) => `<a href="#/energy/order/${esc(seq)}">#${esc(seq)}</a>`;
  const linkCert = (id) => `<a href="#/energy/certificate/${esc(id)}">#${esc(id)}</a>`;
  const zoneTag = (z, colour) => `<span class="mono zone">${colour ? `<span class="swatch" style="background:${colour}"></span>` : ''}${esc(z)}</span>`;

  // Zones in hex order get a colour each, for the chart and the tables.
  const zoneColours = (zones) => new Map([...new Set(zones)].sort().map((z, i) => [z, ZONE_PALETTE[i % ZONE_PALETTE.length]]));

  function rampColour(t) {
    const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
    const i = Math.min(RAMP.length - 2, Math.floor(x));
    const f = x - i;
    const c = RAMP[i].map((v, k) => Math.round(v + (RAMP[i + 1][k] - v) * f));
    return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  }

  async function energyNetworks() {
    return (await api('/v1/networks')).filter((n) => n.family === 'energy').map((n) => n.name);
  }

  // When interval `i` starts, as a UTC time of day.
  const intervalTime = (m, i) => new Date(m.genesis_time_ms + i * m.params.interval_ms).toISOString().slice(11, 19);
  const linkInterval = (net, i) => `<a href="#/energy/clearings/${esc(net)}/from/${esc(i)}">${num(i)}</a>`;

  function settlement(c) {
    const s = c.settled;
    if (!s) return '<td colspan="3" class="muted pending">not settled yet</td>';
    return `<td class="num delivered">${wh(s.delivered_wh)}</td><td class="num paid">${credits(s.paid)}</td><td class="num balancing">${credits(s.balancing)}</td>`;
  }

  const clearingHead = '<thead><tr><th>Interval</th><th>Starts (UTC)</th><th>Zone</th><th class="num">Price</th><th class="num">Volume</th><th class="num">Bids / offers</th><th>Cleared</th><th class="num">Delivered</th><th class="num">Paid</th><th class="num">To balancing</th></tr></thead>';

  function clearingRow(m, c, colours) {
    return `<tr data-interval="${esc(c.interval)}" data-zone="${esc(c.zone_hex)}"><td>${linkInterval(m.network, c.interval)}</td><td>${intervalTime(m, c.interval)}</td><td>${zoneTag(c.zone_hex, colours.get(c.zone_hex))}</td><td class="num price">${c.price ? price(c.price) : '<span class="muted">no trade</span>'}</td><td class="num volume">${wh(c.volume_wh)}</td><td class="num">${num(c.bids)} / ${num(c.offers)}</td><td>${linkBlock(c.height)}</td>${settlement(c)}</tr>`;
  }

  // ---------- the zones on a map ----------

  // The zones (hexagons of /v1/map at the zone resolution: the cells that hold the
  // network's meters) coloured by the last cleared price.
  function zoneMap(m, cells) {
    const last = new Map(m.last_cleared.map((c) => [c.zone_hex, c]));
    const priced = m.last_cleared.filter((c) => c.price > 0).map((c) => c.price);
    const [lo, hi] = priced.length ? [Math.min(...priced), Math.max(...priced)] : [0, 0];
    const fill = (p) => (p > 0 ? rampColour(hi > lo ? (p - lo) / (hi - lo) : 0.5) : NO_TRADE);
    const shown = cells.filter((c) => c.boundary.length);
    if (!shown.length) return '<p class="muted">No meter is registered in this network yet: no zone to draw.</p>';
    const lat0 = shown.reduce((a, c) => a + c.lat, 0) / shown.length;
    const k = Math.cos((lat0 * Math.PI) / 180);
    const xy = (la, lo2) => [lo2 * k, -la];
    const pts = shown.flatMap((c) => c.boundary.map(([la, lo2]) => xy(la, lo2)));
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const pad = Math.max(x1 - x0, y1 - y0) * 0.06;
    const vb = [x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad];
    const font = Math.min(vb[2], vb[3]) / 16;
    const f = (v) => v.toFixed(6);
    const zones = shown.map((c) => {
      const z = last.get(c.cell);
      const p = z ? z.price : 0;
      const d = c.boundary.map(([la, lo2], i) => `${i ? 'L' : 'M'}${xy(la, lo2).map(f).join(',')}`).join('') + 'Z';
      const [cx, cy] = xy(c.lat, c.lon);
      const what = z ? (z.price ? `${price(z.price)}, ${wh(z.volume_wh)} traded in interval ${num(z.interval)}` : `no trade in interval ${num(z.interval)}`) : 'no order in the last interval';
      return `<a href="#/energy/clearings/${esc(m.network)}/zone/${esc(c.cell)}"><path class="zone-cell" data-zone="${esc(c.cell)}" data-price="${p}" d="${d}" fill="${fill(p)}"><title>zone ${esc(c.cell)}: ${num(c.devices)} meters; ${what}</title></path>
        <text x="${f(cx)}" y="${f(cy)}" font-size="${f(font)}" text-anchor="middle">${z && z.price ? esc(num(z.price)) : '—'}</text>
        <text x="${f(cx)}" y="${f(cy + font * 1.2)}" font-size="${f(font * 0.6)}" text-anchor="middle" class="sub">${esc(c.cell)}</text></a>`;
    }).join('');
    const unmapped = m.last_cleared.filter((c) => !shown.some((x) => x.cell === c.zone_hex));
    const legend = priced.length
      ? `<span>${price(lo)}</span><span class="ramp" style="background:linear-gradient(to right, ${RAMP.map((c) => `rgb(${c.join(',')})`).join(', ')})"></span><span>${price(hi)}</span>`
      : '';
    return `<svg class="zone-map" viewBox="${vb.map(f).join(' ')}" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">${zones}</svg>
      <div class="legend">${legend}<span><span class="swatch" style="background:${NO_TRADE}"></span>no trade</span></div>
      <p class="muted">Each hexagon is a zone (the H3 cell at resolution ${num(m.params.zone_resolution)} that its meters share), coloured and labelled by the price it cleared at in interval ${m.last_cleared.length ? num(m.last_cleared[0].interval) : '—'}, the last to clear. Click a zone for its clearings.${unmapped.length ? ` Zones without a registered meter: ${unmapped.map((c) => esc(c.zone_hex)).join(', ')}.` : ''}</p>`;
  }

  // ---------- price and volume per interval ----------

  function chart(m, clearings, colours) {
    if (!clearings.length) return '<p class="muted">Nothing has cleared yet.</p>';
    const [W, H, L, R] = [760, 300, 64, 12];
    const [pTop, pBot, vTop, vBot] = [22, 140, 178, 270];
    const ivs = clearings.map((c) => c.interval);
    const [i0, i1] = [Math.min(...ivs), Math.max(...ivs)];
    const span = Math.max(1, i1 - i0);
    const maxP = Math.max(1, ...clearings.map((c) => c.price));
    const maxV = Math.max(1, ...clearings.map((c) => c.volume_wh));
    // One band per interval, the points at its middle, the zones' bars side by side.
    const band = (W - L - R) / (span + 1);
    const x = (i) => L + band * (i - i0 + 0.5);
    const yP = (p) => pBot - (p / maxP) * (pBot - pTop);
    const yV = (v) => vBot - (v / maxV) * (vBot - vTop);
    const zones = [...colours.keys()];
    const slot = Math.max(2, band * 0.8);
    const bw = slot / Math.max(1, zones.length);
    let lines = '';
    let dots = '';
    let bars = '';
    for (const [zi, z] of zones.entries()) {
      const col = colours.get(z);
      const cs = clearings.filter((c) => c.zone_hex === z);
      // A line through the intervals that traded; a gap where nothing did.
      let seg = [];
      const flush = () => { if (seg.length > 1) lines += `<polyline points="${seg.join(' ')}" fill="none" stroke="${col}" stroke-width="1.5"/>`; seg = []; };
      let prev = null;
      for (const c of cs) {
        if (!c.price || (prev !== null && c.interval !== prev + 1)) flush();
        prev = c.interval;
        if (!c.price) continue;
        seg.push(`${x(c.interval).toFixed(1)},${yP(c.price).toFixed(1)}`);
        dots += `<circle class="pt" cx="${x(c.interval).toFixed(1)}" cy="${yP(c.price).toFixed(1)}" r="2.6" fill="${col}" data-interval="${esc(c.interval)}" data-zone="${esc(z)}" data-price="${esc(c.price)}"><title>interval ${num(c.interval)}, zone ${esc(z)}: ${price(c.price)}</title></circle>`;
      }
      flush();
      for (const c of cs) {
        if (!c.volume_wh) continue;
        const bx = x(c.interval) - slot / 2 + zi * bw;
        bars += `<rect class="bar-v" x="${bx.toFixed(1)}" y="${yV(c.volume_wh).toFixed(1)}" width="${Math.max(1, bw - 0.5).toFixed(1)}" height="${(vBot - yV(c.volume_wh)).toFixed(1)}" fill="${col}" data-interval="${esc(c.interval)}" data-zone="${esc(z)}" data-volume="${esc(c.volume_wh)}"><title>interval ${num(c.interval)}, zone ${esc(z)}: ${wh(c.volume_wh)}</title></rect>`;
      }
    }
    const axis = `<line x1="${L}" y1="${pBot}" x2="${W - R}" y2="${pBot}" class="axis"/><line x1="${L}" y1="${vBot}" x2="${W - R}" y2="${vBot}" class="axis"/>
      <line x1="${L}" y1="${pTop}" x2="${W - R}" y2="${pTop}" class="gridline"/><line x1="${L}" y1="${vTop}" x2="${W - R}" y2="${vTop}" class="gridline"/>
      <text x="${L - 6}" y="${pTop + 4}" text-anchor="end">${esc(num(maxP))}</text><text x="${L - 6}" y="${pBot}" text-anchor="end">0</text>
      <text x="${L - 6}" y="${vTop + 4}" text-anchor="end">${esc(num(maxV))}</text><text x="${L - 6}" y="${vBot}" text-anchor="end">0</text>
      <text x="${L}" y="${pTop - 8}" class="label">price, cr/kWh</text><text x="${L}" y="${vTop - 8}" class="label">volume, Wh</text>
      <text x="${x(i0)}" y="${H - 14}" text-anchor="middle">${esc(num(i0))}</text><text x="${x(i1)}" y="${H - 14}" text-anchor="middle">${esc(num(i1))}</text>
      <text x="${(W + L) / 2}" y="${H - 2}" text-anchor="middle" class="label">interval (${esc(secs(m.params.interval_ms))} each)</text>`;
    return `<svg class="energy-chart" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">${axis}${bars}${lines}${dots}</svg>
      <div class="legend">${zones.map((z) => `<span>${zoneTag(z, colours.get(z))}</span>`).join('')}</div>`;
  }

  // ---------- the overview ----------

  function marketCards(m) {
    const p = m.params;
    return `<div class="cards">
        ${card('Interval now', `${num(m.interval_now)} <span class="muted">(${intervalTime(m, m.interval_now)})</span>`)}
        ${card('Taking orders from', num(m.first_open))}
        ${card('Next to clear / settle', `${num(m.next_clear)} / ${num(m.next_settle)}`)}
        ${card('Open orders', num(m.open_orders), `energy-open-orders-${esc(m.network)}`)}
        ${card('Balancing account', credits(m.balancing), `energy-balancing-${esc(m.network)}`)}
      </div>
      <p class="muted params">Intervals of ${secs(p.interval_ms)}; orders close ${secs(p.gate_ms)} before an interval starts, which clears each zone's uniform-price double auction; readings are taken until ${secs(p.settle_ms)} after it ends, then it settles against them. Zones are H3 cells at resolution ${num(p.zone_resolution)}. A seller pays ${price(p.penalty_price)} for energy sold and not delivered (its offers hold that as collateral) to the balancing account. Meters declare at most ${num(p.max_capacity_w)} W; every ${wh(p.certificate_wh)} of verified generation is certified.</p>`;
  }

  async function netData(net) {
    const m = await api(`/v1/energy/${enc(net)}/market`);
    const map = await api(`/v1/map?res=${enc(m.params.zone_resolution)}&network=${enc(net)}`);
    const zones = Math.max(1, map.cells.length, m.last_cleared.length);
    const intervals = Math.max(1, Math.min(CHART_INTERVALS, Math.floor(MAX_PAGE / zones)));
    const from = Math.max(0, m.next_clear - intervals);
    const clearings = await api(`/v1/energy/${enc(net)}/clearings?from=${from}&limit=${MAX_PAGE}`);
    return { m, cells: map.cells, clearings, from };
  }

  function netSection({ m, cells, clearings, from }) {
    const colours = zoneColours([...cells.map((c) => c.cell), ...clearings.map((c) => c.zone_hex)]);
    const recent = clearings.slice().reverse().slice(0, RECENT);
    return `<h2>${esc(m.network)}</h2>
      ${marketCards(m)}
      <div class="energy-row">
        <div class="panel"><h3>Zones by last cleared price</h3>${zoneMap(m, cells)}</div>
        <div class="panel"><h3>Price and volume per interval, by zone</h3>${chart(m, clearings, colours)}
          <p class="muted">${clearings.length ? `Intervals ${num(clearings[0].interval)} to ${num(clearings[clearings.length - 1].interval)}` : `From interval ${num(from)}`}; a gap in a line: the zone traded nothing in that interval.</p></div>
      </div>
      <h3>Recent clearings</h3>
      <table class="clearings">${clearingHead}<tbody>
      ${recent.map((c) => clearingRow(m, c, colours)).join('') || '<tr><td colspan="10" class="muted">nothing has cleared yet</td></tr>'}
      </tbody></table>
      <div class="pager"><a href="#/energy/clearings/${esc(m.network)}">all clearings →</a><a href="#/energy/orders/${esc(m.network)}">open orders →</a></div>`;
  }

  async function certRows(after, limit) {
    const certs = await api(`/v1/energy/certificates?limit=${limit}${after !== undefined ? `&after=${enc(after)}` : ''}`);
    const rows = certs.map((c) => `<tr data-id="${esc(c.id)}"><td>${linkCert(c.id)}</td><td>${esc(c.network)}</td><td>${linkMeter(c.meter)}</td><td>${linkAcct(c.owner)}</td><td class="num">${wh(c.wh)}</td><td>${num(c.first_interval)} – ${num(c.last_interval)}</td><td>${linkBlock(c.issued_height)}</td><td>${c.retired ? `retired for <b>${esc(c.retired.beneficiary)}</b> at ${linkBlock(c.retired.height)}` : '<span class="muted">held</span>'}</td></tr>`).join('');
    const table = `<table class="certificates"><thead><tr><th>Id</th><th>Network</th><th>Meter</th><th>Holder</th><th class="num">Energy</th><th>Intervals</th><th>Issued</th><th>Status</th></tr></thead><tbody>
      ${rows || '<tr><td colspan="8" class="muted">no certificate</td></tr>'}</tbody></table>`;
    return { certs, table };
  }

  async function overview() {
    const [nets, st] = await Promise.all([energyNetworks(), api('/v1/status')]);
    const data = await Promise.all(nets.map(netData));
    const { certs, table } = await certRows(undefined, CERTS);
    // Generation is recorded in the epoch its interval settles in: the latest of
    // the last few epochs that has any, per network.
    const recentEpochs = Array.from({ length: Math.min(GEN_EPOCHS, st.epoch + 1) }, (_, i) => st.epoch - i);
    const genEpoch = await Promise.all(nets.map(async (n) => {
      const has = await Promise.all(recentEpochs.map((e) => api(`/v1/energy/${enc(n)}/generation/${e}?limit=1`).then((g) => g.length > 0, () => false)));
      const i = has.indexOf(true);
      return i < 0 ? Math.max(0, st.epoch - 1) : recentEpochs[i];
    }));
    render(`<h1>Energy</h1>
      <p class="muted">Neighbours trade metered power in a local market: each interval, every zone clears its bids and offers at one price; after the interval its meters' signed readings settle the trades (sellers earn what they delivered, deviations pay the balancing account), and verified generation is paid by the network's rewards and certified.</p>
      ${nets.length ? '' : '<p class="muted">This chain runs no energy network.</p>'}
      ${data.map((d) => `<section class="energy-net" data-network="${esc(d.m.network)}">${netSection(d)}</section>`).join('')}
      ${nets.length ? `<p>Verified generation per meter: ${nets.map((n, i) => `<a class="generation" href="#/energy/generation/${esc(n)}/${genEpoch[i]}">${esc(n)}, epoch ${num(genEpoch[i])}</a>`).join(', ')}</p>` : ''}
      <h2>Certificates</h2>
      <p class="muted">Each certifies a quantum of one meter's verified generation (the network's certificate size); listed by id, oldest first. A holder may transfer or retire one.</p>
      ${table}
      <div class="pager">${certs.length === CERTS ? `<a href="#/energy/certificates/${esc(certs[certs.length - 1].id)}">more →</a>` : ''}</div>`);
    // Live: a network's section is drawn again when an interval clears or settles.
    const seen = new Map(data.map((d) => [d.m.network, `${d.m.next_clear}/${d.m.next_settle}`]));
    let busy = false;
    return async () => {
      if (busy) return;
      busy = true;
      try {
        for (const n of nets) {
          const m = await api(`/v1/energy/${enc(n)}/market`);
          const key = `${m.next_clear}/${m.next_settle}`;
          if (seen.get(n) === key) continue;
          const d = await netData(n);
          const el = document.querySelector(`section.energy-net[data-network="${CSS.escape(n)}"]`);
          if (!el) return;
          el.innerHTML = netSection(d);
          seen.set(n, `${d.m.next_clear}/${d.m.next_settle}`);
        }
      } finally {
        busy = false;
      }
    };
  }

  // ---------- paged lists ----------

  // #/energy/clearings/NET[/zone/Z][/from/I | /after/I:Z]
  async function clearingsPage(net, rest) {
    const opt = {};
    for (let i = 0; i + 1 < rest.length; i += 2) opt[rest[i]] = rest[i + 1];
    const m = await api(`/v1/energy/${enc(net)}/market`);
    const zones = opt.zone ? 1 : Math.max(1, m.last_cleared.length);
    const per = Math.max(1, Math.floor(LIST / zones));
    const from = opt.from !== undefined ? Number(opt.from) : Math.max(0, m.next_clear - per);
    const q = `limit=${LIST}${opt.zone ? `&zone=${enc(opt.zone)}` : ''}${opt.after ? `&after=${enc(opt.after)}` : `&from=${enc(from)}`}`;
    const cs = await api(`/v1/energy/${enc(net)}/clearings?${q}`);
    const colours = zoneColours(cs.map((c) => c.zone_hex));
    const base = `#/energy/clearings/${esc(net)}${opt.zone ? `/zone/${esc(opt.zone)}` : ''}`;
    const first = cs[0];
    const last = cs[cs.length - 1];
    const earlier = opt.after && first ? first.interval : from;
    render(`<h1>${esc(net)} — clearings${opt.zone ? ` of zone <span class="mono">${esc(opt.zone)}</span>` : ''}</h1>
      <p class="muted">Each zone's interval as its auction cleared it, oldest first, and how it settled once its readings were in. ${opt.zone ? `<a href="#/energy/clearings/${esc(net)}">every zone</a>` : ''} <a href="#/energy">the market</a></p>
      <div class="pager">${earlier > 0 ? `<a href="${base}/from/${Math.max(0, earlier - per)}">← earlier</a>` : ''}<a href="${base}">latest</a></div>
      <table class="clearings" id="clearings">${clearingHead}<tbody>
      ${cs.map((c) => clearingRow(m, c, colours)).join('') || '<tr><td colspan="10" class="muted">no clearing here</td></tr>'}
      </tbody></table>
      <div class="pager">${cs.length === LIST ? `<a href="${base}/after/${esc(`${last.interval}:${last.zone_hex}`)}">later →</a>` : ''}</div>`);
  }

  function orderStatus(o) {
    const s = o.status;
    switch (s.status) {
      case 'open': return '<span class="ok">open</span>';
      case 'done': return 'done';
      case 'cancelled': return `<span class="muted">cancelled at ${linkBlock(s.height)}</span>`;
      case 'out_of_credits': return `<span class="err">out of credits for interval ${num(s.interval)}</span>`;
      default: return esc(s.status);
    }
  }

  const orderHead = (withMeter) => `<thead><tr><th>Order</th>${withMeter ? '<th>Meter</th>' : ''}<th>Side</th><th class="num">Energy / interval</th><th class="num">Limit price</th><th>Intervals</th><th class="num">Filled</th><th class="num">Held</th><th>Posted</th><th>Status</th></tr></thead>`;
  const orderRow = (o, withMeter = true) => `<tr data-seq="${esc(o.seq)}"><td>${linkOrder(o.seq)}</td>${withMeter ? `<td>${linkMeter(o.meter)}</td>` : ''}<td class="side-${esc(o.side)}">${esc(o.side)}</td><td class="num">${wh(o.wh)}</td><td class="num">${price(o.price)}</td><td>${num(o.from_interval)}${o.to_interval !== o.from_interval ? ` – ${num(o.to_interval)}` : ''}</td><td class="num">${wh(o.filled_wh)}</td><td class="num">${credits(o.held)}</td><td>${linkBlock(o.height)}</td><td>${orderStatus(o)}</td></tr>`;

  // #/energy/orders/NET[/AFTER]: the open orders of a network.
  async function ordersPage(net, after) {
    const os = await api(`/v1/energy/orders?network=${enc(net)}&status=open&limit=${LIST}${after ? `&after=${enc(after)}` : ''}`);
    const last = os[os.length - 1];
    render(`<h1>${esc(net)} — open orders</h1>
      <p class="muted">Orders in the zones' books, by sequence (time priority). <a href="#/energy">the market</a></p>
      <table id="orders">${orderHead(true)}<tbody>
      ${os.map((o) => orderRow(o)).join('') || '<tr><td colspan="10" class="muted">no open order</td></tr>'}
      </tbody></table>
      <div class="pager">${after ? `<a href="#/energy/orders/${esc(net)}">first</a>` : ''}${os.length === LIST ? `<a href="#/energy/orders/${esc(net)}/${esc(last.seq)}">next →</a>` : ''}</div>`);
  }

  async function orderPage(seq) {
    const o = await api(`/v1/energy/orders/${enc(seq)}`);
    render(`<h1>Energy order #${num(o.seq)}</h1>
      <dl>
        <dt>Network</dt><dd>${esc(o.network)}</dd>
        <dt>Meter</dt><dd>${linkMeter(o.meter)}</dd>
        <dt>Owner</dt><dd>${linkAcct(o.owner)}</dd>
        <dt>Side</dt><dd>${esc(o.side)}: ${wh(o.wh)} per interval, ${o.side === 'bid' ? 'at most' : 'at least'} ${price(o.price)}</dd>
        <dt>Intervals</dt><dd>${num(o.from_interval)} – ${num(o.to_interval)}</dd>
        <dt>Filled</dt><dd>${wh(o.filled_wh)}</dd>
        <dt>Held</dt><dd>${credits(o.held)} <span class="muted">(${o.side === 'bid' ? 'escrow' : 'collateral'} for the next interval it trades in)</span></dd>
        <dt>Posted</dt><dd>block ${linkBlock(o.height)}</dd>
        <dt>Status</dt><dd id="order-status">${orderStatus(o)}</dd>
      </dl>`);
  }

  // #/energy/certificates[/AFTER]
  async function certificatesPage(after) {
    const { certs, table } = await certRows(after, LIST);
    render(`<h1>Energy certificates</h1>
      <p class="muted">Each certifies verified generation of one meter; they are listed by id, oldest first. <a href="#/energy">the market</a></p>
      ${table}
      <div class="pager">${after !== undefined ? '<a href="#/energy/certificates">first</a>' : ''}${certs.length === LIST ? `<a href="#/energy/certificates/${esc(certs[certs.length - 1].id)}">next →</a>` : ''}</div>`);
  }

  async function certificatePage(id) {
    const c = await api(`/v1/energy/certificates/${enc(id)}`);
    render(`<h1>Energy certificate #${num(c.id)}</h1>
      <dl>
        <dt>Network</dt><dd>${esc(c.network)}</dd>
        <dt>Meter</dt><dd>${linkMeter(c.meter)}</dd>
        <dt>Holder</dt><dd>${linkAcct(c.owner)}</dd>
        <dt>Energy</dt><dd>${wh(c.wh)} of verified generation, intervals ${num(c.first_interval)} – ${num(c.last_interval)}</dd>
        <dt>Issued</dt><dd>block ${linkBlock(c.issued_height)}</dd>
        <dt>Status</dt><dd>${c.retired ? `retired for <b>${esc(c.retired.beneficiary)}</b> at block ${linkBlock(c.retired.height)}` : 'held (it can be transferred or retired)'}</dd>
      </dl>`);
  }

  // #/energy/generation/NET/EPOCH[/AFTER]
  async function generationPage(net, epoch, after) {
    const gs = await api(`/v1/energy/${enc(net)}/generation/${enc(epoch)}?limit=${LIST}${after ? `&after=${enc(after)}` : ''}`);
    const e = Number(epoch);
    const last = gs[gs.length - 1];
    render(`<h1>${esc(net)} — verified generation, epoch ${num(e)}</h1>
      <p class="muted">What each meter's accepted readings prove it generated in the epoch (what the oracle scores). <a href="#/energy">the market</a></p>
      <div class="pager">${e > 0 ? `<a href="#/energy/generation/${esc(net)}/${e - 1}">← epoch ${num(e - 1)}</a>` : ''}<a href="#/energy/generation/${esc(net)}/${e + 1}">epoch ${num(e + 1)} →</a></div>
      <table id="generation"><thead><tr><th>Meter</th><th class="num">Generated</th></tr></thead><tbody>
      ${gs.map((g) => `<tr><td>${linkMeter(g.device)}</td><td class="num">${wh(g.wh)}</td></tr>`).join('') || '<tr><td colspan="2" class="muted">no verified generation in this epoch</td></tr>'}
      </tbody></table>
      <div class="pager">${gs.length === LIST ? `<a href="#/energy/generation/${esc(net)}/${e}/${esc(last.device)}">next →</a>` : ''}</div>`);
  }

  // ---------- a meter ----------

  const tradeHead = '<thead><tr><th>Interval</th><th>Order</th><th>Side</th><th class="num">Price</th><th class="num">Traded</th><th class="num">Delivered / received</th><th class="num">Earned / paid</th><th class="num">Penalty</th><th class="num">Returned</th><th>Settled</th></tr></thead>';

  function tradeRow(net, t) {
    const shortfall = t.side === 'offer' && t.delivered_wh < t.traded_wh;
    return `<tr data-interval="${esc(t.interval)}" data-order="${esc(t.order)}"><td>${linkInterval(net, t.interval)}</td><td>${linkOrder(t.order)}</td><td class="side-${esc(t.side)}">${t.side === 'offer' ? 'sold' : 'bought'}</td><td class="num">${price(t.price)}</td><td class="num">${wh(t.traded_wh)}</td><td class="num${shortfall ? ' err' : ''}">${wh(t.delivered_wh)}</td><td class="num">${credits(t.paid)}</td><td class="num${t.penalty ? ' err' : ''}">${credits(t.penalty)}</td><td class="num">${credits(t.returned)}</td><td>${linkBlock(t.height)}</td></tr>`;
  }

  // #/energy/meter/DEV[/trades/AFTER | /orders/AFTER]
  async function meterPage(device, list, after) {
    const d = enc(device);
    const tradesAfter = list === 'trades' ? after : undefined;
    const ordersAfter = list === 'orders' ? after : undefined;
    const [m, trades, orders] = await Promise.all([
      api(`/v1/energy/meters/${d}`),
      api(`/v1/energy/meters/${d}/trades?limit=${LIST}${tradesAfter ? `&after=${enc(tradesAfter)}` : ''}`),
      api(`/v1/energy/orders?meter=${d}&limit=${LIST}${ordersAfter ? `&after=${enc(ordersAfter)}` : ''}`),
    ]);
    const sum = (side, f) => trades.filter((t) => t.side === side).reduce((a, t) => a + t[f], 0);
    const lastT = trades[trades.length - 1];
    const lastO = orders[orders.length - 1];
    const r = m.last_refusal;
    const base = `#/energy/meter/${esc(m.device)}`;
    render(`<h1>Energy meter</h1>
      <dl>
        <dt>Device</dt><dd>${linkDev(m.device)}</dd>
        <dt>Owner</dt><dd>${linkAcct(m.owner)}</dd>
        <dt>Network</dt><dd><a href="#/energy">${esc(m.network)}</a></dd>
        <dt>Zone</dt><dd id="meter-zone"><a class="mono" href="#/energy/clearings/${esc(m.network)}/zone/${esc(m.zone_hex)}">${esc(m.zone_hex)}</a> <span class="muted">(site <span class="mono">${esc(m.site_hex)}</span>)</span></dd>
        <dt>Capacity</dt><dd id="meter-capacity">${m.capacity_w ? `${num(m.capacity_w)} W of generation` : 'a consumer (no generation)'}</dd>
        <dt>Last reading</dt><dd id="meter-last">${m.last ? `interval ${linkInterval(m.network, m.last.interval)}: counters import ${wh(m.last.import_wh)}, export ${wh(m.last.export_wh)}` : '<span class="muted">none accepted yet</span>'}</dd>
        <dt>Generation</dt><dd>${wh(m.generated_wh)} verified; ${wh(m.uncertified_wh)} not certified yet${m.uncertified_from !== null && m.uncertified_from !== undefined ? ` (from interval ${num(m.uncertified_from)})` : ''}</dd>
        <dt>Refused readings</dt><dd id="meter-refusals">${m.refused ? `<span class="err">${num(m.refused)}</span>; the last: <span class="mono err">${esc(r.code)}</span> in interval ${num(r.interval)} — ${esc(r.reason)}` : '<span class="ok">none</span>'}</dd>
        <dt>Open orders</dt><dd>${m.orders.length ? m.orders.map(linkOrder).join(', ') : '<span class="muted">none</span>'}</dd>
      </dl>
      <h2>Trades and settlements</h2>
      <div class="cards">
        ${card('Sold (delivered / traded)', `${wh(sum('offer', 'delivered_wh'))} / ${wh(sum('offer', 'traded_wh'))}`)}
        ${card('Earned', credits(sum('offer', 'paid')))}
        ${card('Penalties', credits(sum('offer', 'penalty')))}
        ${card('Bought', wh(sum('bid', 'traded_wh')))}
        ${card('Paid', credits(sum('bid', 'paid')))}
      </div>
      <p class="muted">Sums of the trades below. A trade shows once its interval settled against the readings: a seller earns the clearing price for what it delivered and pays the penalty price for what it sold and did not; what an order held and did not use is returned.</p>
      <table id="meter-trades">${tradeHead}<tbody>
      ${trades.map((t) => tradeRow(m.network, t)).join('') || '<tr><td colspan="10" class="muted">no settled trade</td></tr>'}
      </tbody></table>
      <div class="pager">${tradesAfter ? `<a href="${base}">first trades</a>` : ''}${trades.length === LIST ? `<a href="${base}/trades/${esc(`${lastT.interval}:${lastT.order}`)}">more trades →</a>` : ''}</div>
      <h2>Orders</h2>
      <table id="meter-orders">${orderHead(false)}<tbody>
      ${orders.map((o) => orderRow(o, false)).join('') || '<tr><td colspan="9" class="muted">no order</td></tr>'}
      </tbody></table>
      <div class="pager">${ordersAfter ? `<a href="${base}">first orders</a>` : ''}${orders.length === LIST ? `<a href="${base}/orders/${esc(lastO.seq)}">more orders →</a>` : ''}</div>`);
  }

  return { overview, clearingsPage, ordersPage, orderPage, certificatesPage, certificatePage, generationPage, meterPage };
}
