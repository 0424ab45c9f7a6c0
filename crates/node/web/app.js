// Plinth explorer: one page, plain ES modules, no build step. It reads only the
// node's public /v1 API and its /v1/events stream (see crates/node/src/explorer.rs).
// The Governance pages are in gov.js, the Compute pages in compute.js, the Energy
// pages in energy.js.

import { governance } from './gov.js';
import { compute } from './compute.js';
import { energy } from './energy.js';
import { loadCountries, basemapSvg } from './basemap.js';

const view = document.getElementById('view');
const EARN = '#e3b341'; // map colour for earnings
const PALETTE = ['#4fb3ff', '#f0883e', '#3fb950', '#d2a8ff', '#ff7b72', '#e3b341', '#56d4dd', '#db61a2'];

let status = null;   // last /v1/status
let config = { oracle: null };
let networks = [];   // names, for colours
const recent = [];   // recent blocks {height, timestamp_ms, txs}, oldest first
let onBlock = null;  // the current page's live hook

// ---------- helpers ----------

async function api(path) {
  const r = await fetch(path);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${r.status}`);
  return body;
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const short = (s, n = 10) => (s && s.length > 2 * n + 1 ? `${s.slice(0, n)}…${s.slice(-6)}` : s);
const num = (n) => Number(n).toLocaleString('en-US');

function tokens(units) {
  const d = status ? status.token.decimals : 0;
  const sym = status ? status.token.symbol : '';
  const v = Number(units) / 10 ** d;
  return `${v.toLocaleString('en-US', { maximumFractionDigits: Math.min(d, 4) })} ${sym}`;
}

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}

const linkBlock = (h) => `<a href="#/block/${esc(h)}">${esc(h)}</a>`;
const linkTx = (h) => `<a class="mono" href="#/tx/${esc(h)}">${esc(short(h))}</a>`;
const linkAcct = (a) => `<a class="mono" href="#/account/${esc(a)}">${esc(short(a, 12))}</a>`;
const linkDev = (d) => `<a class="mono" href="#/device/${esc(d)}">${esc(short(d, 12))}</a>`;
const colour = (net) => PALETTE[Math.max(0, networks.indexOf(net)) % PALETTE.length];

function card(k, v, id = '') {
  return `<div class="card"><div class="k">${esc(k)}</div><div class="v"${id ? ` id="${id}"` : ''}>${v}</div></div>`;
}

function sparkline(values) {
  if (values.length < 2) return '<svg></svg>';
  const max = Math.max(...values, 1);
  const pts = values.map((v, i) => `${(i / (values.length - 1)) * 100},${40 - (v / max) * 38}`).join(' ');
  return `<svg viewBox="0 0 100 42" preserveAspectRatio="none"><polyline points="${pts}" fill="none" stroke="#4fb3ff" stroke-width="1.5" vector-effect="non-scaling-stroke"/></svg>`;
}

function callSummary(tx) {
  if (!tx) return '';
  const c = tx.call || {};
  const parts = [];
  if (c.to) parts.push(`→ ${linkAcct(c.to)}`);
  if (c.new_owner) parts.push(`→ ${linkAcct(c.new_owner)}`);
  if (c.device) parts.push(linkDev(c.device));
  if (c.provider) parts.push(linkDev(c.provider));
  if (c.amount !== undefined) parts.push(tokens(c.amount));
  if (c.network) parts.push(esc(c.network));
  if (c.epoch !== undefined) parts.push(`epoch ${esc(c.epoch)}`);
  if (c.deposit !== undefined) parts.push(tokens(c.deposit));
  if (c.position !== undefined) parts.push(`position ${esc(c.position)}`);
  if (c.proposal !== undefined) parts.push(`<a href="#/proposal/${esc(c.proposal)}">proposal ${esc(c.proposal)}</a>`);
  if (c.option) parts.push(esc(c.option));
  if (c.meter) parts.push(`<a class="mono" href="#/energy/meter/${esc(c.meter)}">meter ${esc(short(c.meter, 12))}</a>`);
  if (c.side) parts.push(`${esc(c.side)} ${num(c.wh)} Wh at ${num(c.price)} cr/kWh`);
  if (c.readings) parts.push(`${num(c.readings.length)} readings`);
  if (c.type === 'cancel_energy_order') parts.push(`<a href="#/energy/order/${esc(c.order)}">order #${esc(c.order)}</a>`);
  else if (c.order) parts.push(`<a class="mono" href="#/compute/order/${esc(c.order)}">order ${esc(short(c.order, 6))}</a>`);
  if (c.type === 'transfer_certificate' || c.type === 'retire_certificate') parts.push(`<a href="#/energy/certificate/${esc(c.id)}">certificate #${esc(c.id)}</a>`);
  if (c.beneficiary) parts.push(`for ${esc(c.beneficiary)}`);
  if (c.lease) parts.push(`<a class="mono" href="#/compute/lease/${esc(c.lease)}">lease ${esc(short(c.lease, 6))}</a>`);
  if (c.job) parts.push(`<a class="mono" href="#/compute/job/${esc(c.job)}">job ${esc(short(c.job, 6))}</a>`);
  return `<b>${esc(c.type || '?')}</b> ${parts.join(' ')}`;
}

// ---------- pages ----------

async function counts() {
  const [supply, map, epochs] = await Promise.all([
    api('/v1/supply'), api('/v1/map?res=0'), api('/v1/supply/epochs?limit=10')]);
  const byNet = {};
  let active = 0;
  for (const c of map.cells) {
    active += c.active;
    for (const [n, k] of Object.entries(c.networks)) byNet[n] = (byNet[n] || 0) + k;
  }
  const sup = document.getElementById('supply');
  const dev = document.getElementById('devices');
  if (!sup || !dev) return;
  sup.innerHTML = `
      ${card('Total (circulating)', tokens(supply.circulating))}
      ${card('Genesis', tokens(supply.genesis))}
      ${card('Minted', tokens(supply.minted))}
      ${card('Burned', tokens(supply.burned))}
      ${card('Unclaimed', tokens(supply.unclaimed))}`;
  const per = document.getElementById('supply-epochs');
  if (per) {
    per.innerHTML = epochs.length
      ? epochs.map((e) => `<tr><td><a href="#/epochs">${num(e.epoch)}</a></td><td class="num">${tokens(e.minted)}</td><td class="num">${tokens(e.burned)}</td><td class="num">${tokens(e.net)}</td></tr>`).join('')
      : '<tr><td colspan="4">nothing minted or burned yet</td></tr>';
  }
  dev.innerHTML = `
      ${card('All devices', num(map.devices))}
      ${card('Active', num(active))}
      ${card('Retired', num(map.devices - active))}
      ${Object.entries(byNet).map(([n, k]) => card(`network ${n}`, `<span class="swatch" style="background:${colour(n)}"></span>${num(k)}`)).join('')}`;
}

async function overview() {
  const [s, blocks] = await Promise.all([api('/v1/status'), api('/v1/blocks?limit=60')]);
  status = s;
  recent.length = 0;
  recent.push(...blocks.reverse().map((b) => ({ height: b.height, timestamp_ms: b.timestamp_ms, txs: b.txs })));
  view.innerHTML = `
    <h1>${esc(s.chain_id)}</h1>
    <div class="cards">
      ${card('Height', `<a href="#/block/${s.height}" id="height">${num(s.height)}</a>`)}
      ${card('Block time', `<span id="blocktime"></span>`)}
      ${card('Tx / s', `<span id="tps"></span>`)}
      ${card('Epoch', `<span id="epoch"></span>`)}
      ${card('Next epoch in', `<span id="countdown"></span>`)}
      ${card('Mempool', num(s.mempool), 'mempool')}
    </div>
    <h2>Supply</h2>
    <div class="cards" id="supply"></div>
    <table><thead><tr><th>Epoch</th><th class="num">Minted</th><th class="num">Burned (credits)</th><th class="num">Net</th></tr></thead><tbody id="supply-epochs"></tbody></table>
    <h2>Devices</h2>
    <div class="cards" id="devices"></div>
    <h2>Over time</h2>
    <div class="cards">
      <div class="card"><div class="k">Transactions per block</div><div id="chart-txs"></div></div>
      <div class="card"><div class="k">Block interval (ms)</div><div id="chart-interval"></div></div>
    </div>
    <h2>Latest blocks</h2>
    <table><thead><tr><th>Height</th><th>Hash</th><th class="num">Txs</th><th>Time</th></tr></thead><tbody id="latest"></tbody></table>`;
  await counts();
  const refresh = () => {
    const last = recent[recent.length - 1];
    const first = recent[0];
    const span = last && first && last.timestamp_ms > first.timestamp_ms ? last.timestamp_ms - first.timestamp_ms : 0;
    const txs = recent.slice(1).reduce((a, b) => a + b.txs, 0);
    const el = (id) => document.getElementById(id);
    if (!el('height')) return;
    el('height').textContent = num(status.height);
    el('height').href = `#/block/${status.height}`;
    el('blocktime').textContent = span && recent.length > 1 ? `${(span / (recent.length - 1) / 1000).toFixed(2)} s` : `${status.block_time_ms / 1000} s`;
    el('tps').textContent = span ? (txs / (span / 1000)).toFixed(2) : '0';
    el('epoch').innerHTML = `<a href="#/epochs">${num(status.epoch)}</a>`;
    el('chart-txs').innerHTML = sparkline(recent.map((b) => b.txs));
    el('chart-interval').innerHTML = sparkline(recent.slice(1).map((b, i) => b.timestamp_ms - recent[i].timestamp_ms));
    el('latest').innerHTML = recent.slice(-10).reverse().map((b) =>
      `<tr><td>${linkBlock(b.height)}</td><td class="mono">${b.hash ? esc(short(b.hash)) : ''}</td><td class="num">${b.txs}</td><td>${ago(b.timestamp_ms)}</td></tr>`).join('');
  };
  blocks.forEach((b, i) => { recent[i].hash = b.hash; });
  refresh();
  const tick = () => {
    const el = document.getElementById('countdown');
    if (!el) return false;
    const end = status.genesis_time_ms + (status.epoch + 1) * status.epoch_ms;
    el.textContent = `${Math.max(0, Math.ceil((end - Date.now()) / 1000))} s`;
    return true;
  };
  tick();
  const timer = setInterval(() => { if (!tick()) clearInterval(timer); }, 500);
  onBlock = (e) => {
    recent.push({ height: e.height, timestamp_ms: e.timestamp_ms, txs: e.txs, hash: e.hash });
    while (recent.length > 60) recent.shift();
    status.height = e.height;
    status.epoch = Math.floor((e.timestamp_ms - status.genesis_time_ms) / status.epoch_ms);
    refresh();
    if (e.height % 8 === 0) counts().catch(() => {});
  };
}

async function blocksPage(before) {
  const q = before ? `&before=${before}` : '';
  const blocks = await api(`/v1/blocks?limit=25${q}`);
  const last = blocks[blocks.length - 1];
  view.innerHTML = `<h1>Blocks</h1>
    <table><thead><tr><th>Height</th><th>Hash</th><th class="num">Txs</th><th>Proposer</th><th>Time</th></tr></thead><tbody>
    ${blocks.map((b) => `<tr><td>${linkBlock(b.height)}</td><td class="mono">${esc(short(b.hash))}</td><td class="num">${b.txs}</td><td>${linkAcct(b.proposer)}</td><td>${ago(b.timestamp_ms)}</td></tr>`).join('')}
    </tbody></table>
    <div class="pager">${last && last.height > 0 ? `<a href="#/blocks/${last.height}">older →</a>` : ''}</div>`;
}

async function blockPage(id) {
  const b = await api(`/v1/blocks/${encodeURIComponent(id)}`);
  const h = b.header;
  view.innerHTML = `<h1>Block ${num(h.height)}</h1>
    <dl>
      <dt>Hash</dt><dd class="mono">${esc(b.hash)}</dd>
      <dt>Parent</dt><dd class="mono">${h.height > 0 ? `<a href="#/block/${h.height - 1}">${esc(h.parent)}</a>` : esc(h.parent)}</dd>
      <dt>Time</dt><dd>${new Date(h.timestamp_ms).toISOString()} (${ago(h.timestamp_ms)})</dd>
      <dt>Proposer</dt><dd>${linkAcct(h.proposer)}</dd>
      <dt>State root</dt><dd class="mono">${esc(h.state_root)}</dd>
      <dt>Tx root</dt><dd class="mono">${esc(h.tx_root)}</dd>
    </dl>
    <div class="pager"><a href="#/block/${h.height + 1}">next block →</a></div>
    <h2>${b.txs.length} transactions</h2>
    <table><thead><tr><th>Hash</th><th>Signer</th><th>Call</th><th>Result</th></tr></thead><tbody>
    ${b.txs.map((t, i) => { const r = b.receipts[i]; return `<tr><td>${linkTx(t.hash)}</td><td>${linkAcct(t.signer)}</td><td>${callSummary(t)}</td><td>${r && r.error ? `<span class="err">${esc(r.error.code || 'rejected')}</span>` : '<span class="ok">ok</span>'}</td></tr>`; }).join('')}
    </tbody></table>`;
}

async function txPage(hash) {
  const t = await api(`/v1/txs/${encodeURIComponent(hash)}`);
  view.innerHTML = `<h1>Transaction</h1>
    <dl>
      <dt>Hash</dt><dd class="mono">${esc(t.hash)}</dd>
      <dt>Status</dt><dd>${esc(t.status)}${t.receipt && t.receipt.error ? ` — <span class="err">${esc(JSON.stringify(t.receipt.error))}</span>` : ''}</dd>
      ${t.height !== undefined && t.height !== null ? `<dt>Block</dt><dd>${linkBlock(t.height)} (index ${t.index})</dd>` : ''}
      ${t.tx ? `<dt>Signer</dt><dd>${linkAcct(t.tx.signer)}</dd><dt>Nonce</dt><dd>${t.tx.nonce}</dd><dt>Fee</dt><dd>${tokens(t.tx.fee)}</dd><dt>Call</dt><dd>${callSummary(t.tx)}</dd>` : ''}
    </dl>
    <h2>Raw</h2><pre>${esc(JSON.stringify(t, null, 2))}</pre>`;
}

async function accountPage(addr) {
  const [a, hist, devs] = await Promise.all([
    api(`/v1/accounts/${encodeURIComponent(addr)}`),
    api(`/v1/accounts/${encodeURIComponent(addr)}/txs?limit=50`),
    api(`/v1/devices?owner=${encodeURIComponent(addr)}&limit=200`),
  ]);
  view.innerHTML = `<h1>Account</h1>
    <dl>
      <dt>Address</dt><dd class="mono">${esc(a.address)}</dd>
      <dt>Balance</dt><dd id="balance">${tokens(a.balance)}</dd>
      <dt>Bonded</dt><dd>${tokens(a.bonded)}</dd>
      <dt>Nonce</dt><dd>${a.nonce}</dd>
      <dt>Devices</dt><dd>${devs.length}</dd>
      <dt>Governance</dt><dd><a href="#/gov/positions/${esc(a.address)}">positions and voting power</a></dd>
    </dl>
    <h2>Devices</h2>
    <table><thead><tr><th>Id</th><th>Network</th><th>Status</th><th>Cell</th></tr></thead><tbody>
    ${devs.map((d) => `<tr><td>${linkDev(d.id)}</td><td>${esc(d.network)}</td><td>${esc(d.status)}</td><td class="mono">${esc(d.location)}</td></tr>`).join('')}
    </tbody></table>
    <h2>Transactions</h2>
    <table><thead><tr><th>Hash</th><th>Block</th><th>Call</th><th>Result</th></tr></thead><tbody>
    ${hist.map((h) => `<tr><td>${linkTx(h.hash)}</td><td>${linkBlock(h.height)}</td><td>${callSummary(h.tx)}</td><td>${h.receipt && h.receipt.error ? '<span class="err">rejected</span>' : '<span class="ok">ok</span>'}</td></tr>`).join('')}
    </tbody></table>`;
}

async function devicesPage(after) {
  const q = after ? `&after=${encodeURIComponent(after)}` : '';
  const devs = await api(`/v1/devices?limit=50${q}`);
  const last = devs[devs.length - 1];
  view.innerHTML = `<h1>Devices</h1>
    <table><thead><tr><th>Id</th><th>Owner</th><th>Network</th><th>Status</th><th>Location</th><th class="num">Stake</th></tr></thead><tbody>
    ${devs.map((d) => `<tr><td>${linkDev(d.id)}</td><td>${linkAcct(d.owner)}</td><td><span class="swatch" style="background:${colour(d.network)}"></span>${esc(d.network)}</td><td>${esc(d.status)}</td><td>${d.lat.toFixed(3)}, ${d.lon.toFixed(3)}</td><td class="num">${tokens(d.stake)}</td></tr>`).join('')}
    </tbody></table>
    <div class="pager">${devs.length === 50 ? `<a href="#/devices/${esc(last.id)}">next →</a>` : ''}</div>`;
}

async function devicePage(id) {
  const [d, offers, meter] = await Promise.all([
    api(`/v1/devices/${encodeURIComponent(id)}`),
    fetch(`/v1/compute/offers/${encodeURIComponent(id)}`).then((r) => r.ok),
    fetch(`/v1/energy/meters/${encodeURIComponent(id)}`).then((r) => r.ok),
  ]);
  view.innerHTML = `<h1>Device</h1>
    <dl>
      <dt>Id</dt><dd class="mono">${esc(d.id)}</dd>
      <dt>Owner</dt><dd>${linkAcct(d.owner)}</dd>
      <dt>Network</dt><dd>${esc(d.network)}</dd>
      <dt>Status</dt><dd>${esc(d.status)}</dd>
      <dt>Location</dt><dd>${d.lat.toFixed(5)}, ${d.lon.toFixed(5)} — H3 <span class="mono">${esc(d.location)}</span> (res ${d.resolution}) <a href="#/map">map</a></dd>
      <dt>Registered</dt><dd>block ${linkBlock(d.registered_height)}</dd>
      <dt>Stake</dt><dd>${tokens(d.stake)}</dd>
      ${offers ? `<dt>Compute</dt><dd><a href="#/compute/provider/${esc(d.id)}">its offer, leases and reputation</a></dd>` : ''}
      ${meter ? `<dt>Energy</dt><dd><a id="meter-link" href="#/energy/meter/${esc(d.id)}">its meter: zone, readings, trades and settlements</a></dd>` : ''}
    </dl>`;
}

async function epochsPage() {
  const s = await api('/v1/status');
  status = s;
  const from = Math.max(0, s.epoch - 40);
  const eps = await api(`/v1/rewards?from=${from}&limit=500`);
  eps.sort((a, b) => b.header.epoch - a.header.epoch || a.header.network.localeCompare(b.header.network));
  view.innerHTML = `<h1>Epochs and rewards</h1>
    <p class="muted">Current epoch ${num(s.epoch)}; epochs last ${s.epoch_ms / 1000} s. Manifests accepted on the ledger since epoch ${from}:</p>
    <table id="epochs"><thead><tr><th>Network</th><th class="num">Epoch</th><th class="num">Emission</th><th class="num">Devices paid</th><th class="num">Claimed</th><th>Root</th><th>Block</th></tr></thead><tbody>
    ${eps.map((e) => `<tr><td><span class="swatch" style="background:${colour(e.header.network)}"></span>${esc(e.header.network)}</td><td class="num"><a href="#/epoch/${esc(e.header.network)}/${e.header.epoch}">${e.header.epoch}</a></td><td class="num">${tokens(e.header.total)}</td><td class="num">${num(e.header.devices)}</td><td class="num">${num(e.claims)} / ${tokens(e.claimed)}</td><td class="mono">${esc(short(e.header.root))}</td><td>${linkBlock(e.submitted_height)}</td></tr>`).join('') || '<tr><td colspan="7" class="muted">no manifest yet — the first arrives after the first epoch ends</td></tr>'}
    </tbody></table>`;
}

async function storagePage() {
  const [s, nets, offers] = await Promise.all([api('/v1/status'), api('/v1/networks'), api('/v1/storage/offers')]);
  status = s;
  const storageNets = nets.filter((n) => n.family === 'storage').map((n) => n.name);
  const deals = (await Promise.all(storageNets.map((n) => api(`/v1/deals?network=${encodeURIComponent(n)}`)))).flat();
  const recentEpochs = [];
  for (let e = s.epoch - 1; e >= Math.max(0, s.epoch - 10); e -= 1) recentEpochs.push(e);
  const usage = [];
  for (const n of storageNets) {
    const us = await Promise.all(recentEpochs.map((e) => api(`/v1/storage/usage/${encodeURIComponent(n)}/${e}`)));
    us.forEach((u, i) => { if (u.proven || u.failed) usage.push({ network: n, epoch: recentEpochs[i], ...u }); });
  }
  const size = (b) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
  view.innerHTML = `<h1>Storage</h1>
    <p class="muted">Consumers burn tokens for credits and pay storage providers per epoch; each epoch the oracle challenges every active deal and settles it on the ledger.</p>
    <div class="cards">
      ${card('Providers', num(offers.length), 'storage-providers')}
      ${card('Active deals', num(deals.length), 'storage-deals')}
      ${card('Stored', size(deals.reduce((a, d) => a + d.manifest.size, 0)))}
      ${card('Collateral locked', tokens(offers.reduce((a, o) => a + o.locked, 0)))}
    </div>
    <h2>Providers</h2>
    <table id="offers"><thead><tr><th>Device</th><th>Owner</th><th>Endpoint</th><th class="num">Credits / MiB·epoch</th><th class="num">Collateral / MiB</th><th class="num">Free</th><th class="num">Locked</th><th class="num">Deals</th></tr></thead><tbody>
    ${offers.map((o) => `<tr><td>${linkDev(o.device)}</td><td>${linkAcct(o.owner)}</td><td class="mono">${esc(o.endpoint)}</td><td class="num">${num(o.price_per_mib_epoch)}</td><td class="num">${tokens(o.collateral_per_mib)}</td><td class="num">${tokens(o.free)}</td><td class="num">${tokens(o.locked)}</td><td class="num">${num(o.active_deals)}</td></tr>`).join('') || '<tr><td colspan="8" class="muted">no provider offers storage yet</td></tr>'}
    </tbody></table>
    <h2>Active deals</h2>
    <table id="deals"><thead><tr><th>Deal</th><th>Consumer</th><th>Provider</th><th class="num">Size</th><th class="num">Epochs</th><th class="num">Proven / failed</th><th class="num">Escrow (credits)</th><th class="num">Collateral</th></tr></thead><tbody>
    ${deals.map((d) => `<tr><td class="mono">${esc(short(d.id))}</td><td>${linkAcct(d.consumer)}</td><td>${linkDev(d.provider)}</td><td class="num">${size(d.manifest.size)}</td><td class="num">${d.start_epoch}–${d.end_epoch - 1}</td><td class="num">${num(d.proven_epochs)} / ${num(d.failed_epochs)}</td><td class="num">${num(d.escrow)}</td><td class="num">${tokens(d.collateral)}</td></tr>`).join('') || '<tr><td colspan="8" class="muted">no active deal</td></tr>'}
    </tbody></table>
    <h2>Recent epochs</h2>
    <table id="usage"><thead><tr><th>Network</th><th class="num">Epoch</th><th class="num">Deals proven</th><th class="num">Failed</th><th class="num">Slashed</th><th class="num">Credits used</th><th class="num">Refunded</th></tr></thead><tbody>
    ${usage.map((u) => `<tr><td>${esc(u.network)}</td><td class="num">${u.epoch}</td><td class="num">${num(u.proven)}</td><td class="num">${num(u.failed)}</td><td class="num">${num(u.slashed)}</td><td class="num">${num(u.credits_used)}</td><td class="num">${num(u.credits_refunded)}</td></tr>`).join('') || '<tr><td colspan="7" class="muted">no deal settled in the last ten epochs</td></tr>'}
    </tbody></table>`;
}

async function epochPage(network, epoch) {
  const e = await api(`/v1/rewards/${encodeURIComponent(network)}/${encodeURIComponent(epoch)}`);
  const h = e.header;
  const oracle = config.oracle
    ? `the node reads it from ${esc(config.oracle)} and checks it against the ledger (below); recompute it from the spool with <code>plinth oracle audit ${esc(epoch)} --network ${esc(network)}</code>`
    : 'not available: this node knows no oracle URL';
  view.innerHTML = `<h1>${esc(network)} — epoch ${num(h.epoch)}</h1>
    <dl>
      <dt>Total emission</dt><dd>${tokens(h.total)}</dd>
      <dt>Devices paid</dt><dd>${num(h.devices)}</dd>
      <dt>Claimed</dt><dd>${num(e.claims)} entries, ${tokens(e.claimed)}</dd>
      <dt>Manifest root</dt><dd class="mono">${esc(h.root)}</dd>
      <dt>Inputs (spool batches)</dt><dd class="mono">${esc(h.inputs)}</dd>
      <dt>Accepted in</dt><dd>block ${linkBlock(e.submitted_height)}</dd>
      <dt>Oracle manifest</dt><dd>${oracle}</dd>
      <dt>Audit status</dt><dd id="audit" class="muted">${config.oracle ? 'fetching the oracle\'s manifest…' : 'unknown: no oracle'}</dd>
    </dl>
    <div id="manifest"></div>`;
  if (!config.oracle) return;
  let a;
  try {
    a = await api(`/v1/explorer/manifests/${encodeURIComponent(network)}/${encodeURIComponent(epoch)}`);
  } catch (err) {
    const el = document.getElementById('audit');
    if (el) el.textContent = `unknown: ${err.message}`;
    return;
  }
  const el = document.getElementById('audit');
  if (!el) return; // navigated away
  el.className = a.consistent ? 'ok' : 'err';
  el.innerHTML = a.consistent
    ? `✓ consistent with the ledger: header, merkle root, total and device count of the oracle's ${num(a.devices_paid)} entries match, and every oracle signature it carries is valid`
    : `✗ problems: <ul>${a.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`;
  const rejected = Object.entries(a.rejected).sort((x, y) => y[1] - x[1]);
  document.getElementById('manifest').innerHTML = `<h2>Top earners</h2>
    <table id="top-earners"><thead><tr><th>#</th><th>Device</th><th>Owner</th><th class="num">Amount</th></tr></thead><tbody>
    ${a.top_earners.map((t, i) => `<tr><td>${i + 1}</td><td>${linkDev(t.device)}</td><td>${linkAcct(t.owner)}</td><td class="num">${tokens(t.amount)}</td></tr>`).join('') || '<tr><td colspan="4" class="muted">no device earned this epoch</td></tr>'}
    </tbody></table>
    <p class="muted">${num(a.devices_paid)} devices paid, ${tokens(a.total)} in all; ${num(a.scored)} devices scored.</p>
    <h2>Oracle signatures</h2>
    <p class="muted">${num(a.signatures.length)} oracle${a.signatures.length === 1 ? '' : 's'} signed this manifest; the ledger accepts it with its oracle set's threshold of distinct members' signatures.</p>
    <table id="signers"><thead><tr><th>Oracle</th><th>Signature</th></tr></thead><tbody>
    ${a.signatures.map((g) => `<tr><td>${linkAcct(g.oracle)}</td><td class="${g.valid ? 'ok' : 'err'}">${g.valid ? '✓ signed' : '✗ not valid over the ledger\'s header'}</td></tr>`).join('') || '<tr><td colspan="2" class="muted">no signature</td></tr>'}
    </tbody></table>
    <h2>Refused to sign</h2>
    <table id="refusals"><thead><tr><th>Oracle</th><th>Code</th><th>Reason</th></tr></thead><tbody>
    ${a.refusals.map((r) => `<tr><td>${linkAcct(r.oracle)}</td><td class="mono err">${esc(r.code)}</td><td>${esc(r.reason)}</td></tr>`).join('') || '<tr><td colspan="3" class="muted">none: no oracle refused</td></tr>'}
    </tbody></table>
    <h2>Rejected reports</h2>
    <table id="rejected"><thead><tr><th>Reason</th><th class="num">Reports</th></tr></thead><tbody>
    ${rejected.map(([r, k]) => `<tr><td>${esc(r)}</td><td class="num">${num(k)}</td></tr>`).join('') || '<tr><td colspan="2" class="muted">none</td></tr>'}
    </tbody></table>`;
}

// ---------- map ----------

let mapRes = 7;
let mapColour = 'network'; // or 'earnings'

// Σ earned per device id in the latest accepted epoch of each network, read
// through the node's manifest proxy; `epochs` names the epochs used.
async function latestEarnings() {
  const from = Math.max(0, (status ? status.epoch : 0) - 50);
  const eps = await api(`/v1/rewards?from=${from}&limit=500`);
  const latest = {};
  for (const e of eps) {
    const h = e.header;
    if (latest[h.network] === undefined || h.epoch > latest[h.network]) latest[h.network] = h.epoch;
  }
  const earned = new Map();
  const epochs = [];
  const errors = [];
  await Promise.all(Object.entries(latest).map(async ([n, ep]) => {
    try {
      const a = await api(`/v1/explorer/manifests/${encodeURIComponent(n)}/${ep}?entries=true`);
      for (const t of a.entries || []) earned.set(t.device, (earned.get(t.device) || 0) + t.amount);
      epochs.push(`${n} epoch ${ep}`);
    } catch (err) {
      errors.push(`${n} epoch ${ep}: ${err.message}`);
    }
  }));
  return { earned, epochs: epochs.sort(), errors };
}

async function mapPage() {
  view.innerHTML = `<h1>Map</h1>
    <div class="controls"><button id="zin">+</button><button id="zout">−</button>
      <span class="muted">colour by:</span><span class="toggle" id="colourby"><button id="by-network" data-mode="network">network</button><button id="by-earnings" data-mode="earnings">earnings (last epoch)</button></span>
      <span class="muted">H3 resolution <b id="res">${mapRes}</b> · <span id="mapinfo"></span></span></div>
    <div class="maprow"><svg id="map" xmlns="http://www.w3.org/2000/svg"></svg>
      <div class="side"><svg id="locator" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid slice" aria-label="where the map is"></svg>
        <div class="legend" id="legend"></div><div id="cell"><p class="muted">Click a hexagon to list its devices.</p></div></div></div>`;
  document.getElementById('zin').onclick = () => { mapRes = Math.min(mapRes + 1, 10); drawMap(true); };
  document.getElementById('zout').onclick = () => { mapRes = Math.max(mapRes - 1, 0); drawMap(true); };
  document.querySelectorAll('#colourby button').forEach((b) => { b.onclick = () => { mapColour = b.dataset.mode; drawMap(true); }; });
  await drawMap(false);
  onBlock = null;
}

let viewBox = null; // [x, y, w, h] in projected units, kept across resolutions
let basemap = null;  // the countries' SVG (basemap.js), projected once per page load

function project(lat, lon) { return [lon, -lat]; } // plate carrée; y grows south

// The basemap under the hexagons, drawn with the same projection. A map without
// it still works: the page says why it is missing.
async function basemapLayer() {
  if (basemap === null) {
    try {
      basemap = basemapSvg(await loadCountries(), project);
    } catch (e) {
      return { svg: '', error: e.message };
    }
  }
  return { svg: basemap, error: null };
}

async function drawMap(keepView) {
  const byEarnings = mapColour === 'earnings';
  const [m, earnings, base] = await Promise.all([
    api(`/v1/map?res=${mapRes}${byEarnings ? '&ids=true' : ''}`),
    byEarnings ? latestEarnings() : null,
    basemapLayer(),
  ]);
  const svg = document.getElementById('map');
  if (!svg) return;
  document.querySelectorAll('#colourby button').forEach((b) => b.classList.toggle('on', b.dataset.mode === mapColour));
  const cellEarned = (c) => (c.ids || []).reduce((s, id) => s + (earnings.earned.get(id) || 0), 0);
  const maxEarned = byEarnings ? Math.max(1, ...m.cells.map(cellEarned)) : 1;
  document.getElementById('res').textContent = m.res;
  document.getElementById('mapinfo').textContent = `${num(m.devices)} devices in ${num(m.cells.length)} cells${m.truncated ? ' (truncated)' : ''}`;
  const max = Math.max(1, ...m.cells.map((c) => c.devices));
  if (!keepView || !viewBox) {
    const lats = m.cells.flatMap((c) => c.boundary.map((b) => b[0]));
    const lons = m.cells.flatMap((c) => c.boundary.map((b) => b[1]));
    if (lats.length) {
      const [x0, x1] = [Math.min(...lons), Math.max(...lons)];
      const [y0, y1] = [-Math.max(...lats), -Math.min(...lats)];
      const pad = Math.max(x1 - x0, y1 - y0, 0.05) * 0.08;
      viewBox = [x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad];
    } else {
      viewBox = [-180, -90, 360, 180];
    }
  }
  const hexes = m.cells.map((c) => {
    const d = c.boundary.map(([la, lo], i) => `${i ? 'L' : 'M'}${project(la, lo).join(',')}`).join('') + 'Z';
    const nets = Object.entries(c.networks).map(([n, k]) => `${n} ${k}`).join(', ');
    if (byEarnings) {
      const e = cellEarned(c);
      const op = e ? 0.3 + 0.65 * Math.log1p(e) / Math.log1p(maxEarned) : 0.15;
      return `<path class="hex" data-cell="${esc(c.cell)}" data-earned="${e}" d="${d}" fill="${e ? EARN : '#8b949e'}" fill-opacity="${op.toFixed(2)}"><title>${esc(c.cell)}: ${c.devices} devices (${nets}), earned ${tokens(e)}</title></path>`;
    }
    const top = Object.entries(c.networks).sort((a, b) => b[1] - a[1])[0][0];
    const op = 0.35 + 0.6 * Math.log1p(c.devices) / Math.log1p(max);
    return `<path class="hex" data-cell="${esc(c.cell)}" d="${d}" fill="${colour(top)}" fill-opacity="${op.toFixed(2)}"><title>${esc(c.cell)}: ${c.devices} devices (${nets})</title></path>`;
  }).join('');
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  // Land and borders first, then the grid, then the hexagons on top. The land is
  // clipped to one world: the countries across the antimeridian are drawn on
  // both sides of it (basemap.js), and should end at its edge.
  const [wx0, wy0] = project(90, -180);
  const [wx1, wy1] = project(-90, 180);
  const world = (id) => (base.svg
    ? `<clipPath id="${id}"><rect x="${wx0}" y="${wy0}" width="${wx1 - wx0}" height="${wy1 - wy0}"/></clipPath><g class="world" clip-path="url(#${id})">${base.svg}</g>`
    : '');
  svg.innerHTML = `${world('map-world')}<path class="grid"/><g id="hexes">${hexes}</g>`;
  const loc = document.getElementById('locator');
  loc.innerHTML = base.svg ? `${world('locator-world')}<rect id="view-rect"/>` : '';
  showView(svg);
  document.getElementById('legend').innerHTML = byEarnings
    ? `<span><span class="swatch" style="background:${EARN}"></span>earned</span><span><span class="swatch" style="background:#8b949e;opacity:.4"></span>nothing</span>
      <p class="muted" id="earnings-note">Colour: Σ earned by the cell's devices in the latest accepted epoch of each network (${esc(earnings.epochs.join(', ') || 'none yet')}); stronger colour: more, up to ${tokens(maxEarned)}.${earnings.errors.length ? ` Not available: ${esc(earnings.errors.join('; '))}.` : ''}</p>`
    : networks.map((n) => `<span><span class="swatch" style="background:${colour(n)}"></span>${esc(n)}</span>`).join('') +
      '<p class="muted">Colour: the cell\'s main network; stronger colour: more devices.</p>';
  document.getElementById('legend').innerHTML += base.error
    ? `<p class="err" id="basemap-note">No basemap: ${esc(base.error)}.</p>`
    : '<p class="muted" id="basemap-note">Borders and coasts: <a href="https://www.naturalearthdata.com/">Natural Earth</a> 1:110m (public domain), served by this node.</p>';
  svg.querySelectorAll('.hex').forEach((p) => { p.onclick = () => showCell(p); });
  enablePan(svg);
}

// Sets the map's viewBox, its grid (drawn again for each view, so a pan or a
// zoom never leaves a patch of the old one) and the locator: a small map of the
// region round the view with the view outlined, so a map zoomed in to a city
// (where the land of a 1:110m basemap fills the whole frame) still shows where it
// is. The locator is hidden when the map itself shows a continent or more.
function showView(svg) {
  svg.setAttribute('viewBox', viewBox.join(' '));
  // The grid covers the whole frame: with `meet` it is wider or taller than the viewBox.
  const [gx, gy, gw, gh] = [viewBox[0] - viewBox[2], viewBox[1] - viewBox[3], 3 * viewBox[2], 3 * viewBox[3]];
  const step = gridStep(viewBox[2]);
  let grid = '';
  for (let x = Math.floor(gx / step) * step; x <= gx + gw; x += step) grid += `M${x},${gy}V${gy + gh}`;
  for (let y = Math.floor(gy / step) * step; y <= gy + gh; y += step) grid += `M${gx},${y}H${gx + gw}`;
  const g = svg.querySelector('path.grid');
  if (g) g.setAttribute('d', grid);
  const loc = document.getElementById('locator');
  if (!loc) return;
  const [x, y, w, h] = viewBox;
  loc.style.display = loc.firstChild && w < 60 ? '' : 'none';
  const span = Math.min(360, Math.max(24, 6 * Math.max(w, h)));
  const [cx, cy] = [x + w / 2, y + h / 2];
  loc.setAttribute('viewBox', [cx - span / 2, cy - span * 0.3, span, span * 0.6].join(' '));
  const rect = document.getElementById('view-rect');
  if (!rect) return;
  // At least 4% of the locator wide, so a city-sized view stays visible.
  const [rw, rh] = [Math.max(w, span * 0.04), Math.max(h, span * 0.04)];
  for (const [k, v] of Object.entries({ x: cx - rw / 2, y: cy - rh / 2, width: rw, height: rh })) rect.setAttribute(k, v);
}

function gridStep(w) {
  for (const s of [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30]) if (w / s <= 12) return s;
  return 60;
}

function enablePan(svg) {
  if (svg.dataset.pan) return;
  svg.dataset.pan = '1';
  let start = null;
  svg.addEventListener('mousedown', (e) => { start = [e.clientX, e.clientY, viewBox[0], viewBox[1]]; });
  window.addEventListener('mouseup', () => { start = null; });
  svg.addEventListener('mousemove', (e) => {
    if (!start) return;
    const k = viewBox[2] / svg.clientWidth;
    viewBox[0] = start[2] - (e.clientX - start[0]) * k;
    viewBox[1] = start[3] - (e.clientY - start[1]) * k;
    showView(svg);
  });
  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    const f = e.deltaY > 0 ? 1.25 : 0.8;
    const [x, y, w, h] = viewBox;
    viewBox = [x + (w - w * f) / 2, y + (h - h * f) / 2, w * f, h * f];
    showView(svg);
  }, { passive: false });
}

async function showCell(path) {
  document.querySelectorAll('.hex.sel').forEach((p) => p.classList.remove('sel'));
  path.classList.add('sel');
  const cell = path.dataset.cell;
  const devs = await api(`/v1/map/${cell}`);
  document.getElementById('cell').innerHTML = `<h2>Cell <span class="mono">${esc(cell)}</span></h2>
    <p>${devs.length} devices</p>
    <table><tbody>${devs.map((d) => `<tr><td>${linkDev(d.id)}</td><td>${esc(d.network)}</td><td>${esc(d.status)}</td></tr>`).join('')}</tbody></table>`;
}

// ---------- governance (gov.js) ----------

const gov = governance({
  api, esc, num, tokens, linkAcct, linkBlock, card,
  render: (html) => { view.innerHTML = html; },
});

// #/gov, #/gov/older/ID, #/gov/status/S[/older/ID], #/gov/positions/ADDR
async function govRoute([a, b, c, d]) {
  if (a === 'positions') return gov.positionsPage(b);
  if (a === 'status') return gov.listPage(c === 'older' ? d : undefined, b);
  return gov.listPage(a === 'older' ? b : undefined, undefined);
}

// ---------- compute (compute.js) ----------

const comp = compute({
  api, esc, num, tokens, short, linkAcct, linkBlock, linkDev, card,
  render: (html) => { view.innerHTML = html; },
});

// #/compute, #/compute/provider/DEV, #/compute/order/ID, #/compute/lease/ID,
// #/compute/job/ID[/AFTER]; returns the page's live hook, if any.
async function computeRoute([a, b, c]) {
  if (a === 'provider') return comp.providerPage(b);
  if (a === 'order') return comp.orderPage(b);
  if (a === 'lease') return comp.leasePage(b);
  if (a === 'job') return comp.jobPage(b, c);
  return comp.overview();
}

// ---------- energy (energy.js) ----------

const en = energy({
  api, esc, num, short, linkAcct, linkBlock, linkDev, card,
  render: (html) => { view.innerHTML = html; },
});

// #/energy, #/energy/clearings/NET[/zone/Z][/from/I|/after/I:Z],
// #/energy/orders/NET[/AFTER], #/energy/order/SEQ, #/energy/certificates[/AFTER],
// #/energy/certificate/ID, #/energy/generation/NET/EPOCH[/AFTER],
// #/energy/meter/DEV[/trades/AFTER|/orders/AFTER]; returns the page's live hook, if any.
async function energyRoute([a, b, c, d, ...rest]) {
  if (a === 'clearings') return en.clearingsPage(b, [c, d, ...rest].filter((x) => x !== undefined));
  if (a === 'orders') return en.ordersPage(b, c);
  if (a === 'order') return en.orderPage(b);
  if (a === 'certificates') return en.certificatesPage(b);
  if (a === 'certificate') return en.certificatePage(b);
  if (a === 'generation') return en.generationPage(b, c, d);
  if (a === 'meter') return en.meterPage(b, c, d);
  return en.overview();
}

// ---------- search and routing ----------

async function search(q) {
  q = q.trim();
  if (!q) return;
  if (/^\d+$/.test(q)) return void (location.hash = `#/block/${q}`);
  if (q.startsWith('plinth1')) return void (location.hash = `#/account/${q}`);
  if (q.startsWith('pdev1')) return void (location.hash = `#/device/${q}`);
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(q)) {
    const ok = await fetch(`/v1/blocks/${q}`).then((r) => r.ok);
    return void (location.hash = ok ? `#/block/${q}` : `#/tx/${q}`);
  }
  view.innerHTML = `<p class="err">Not a height, hash, address (plinth1…) or device id (pdev1…): ${esc(q)}</p>`;
}

async function route() {
  onBlock = null;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const [page, a, b] = parts;
  try {
    switch (page) {
      case '': case undefined: await overview(); break;
      case 'blocks': await blocksPage(a); break;
      case 'block': await blockPage(a); break;
      case 'tx': await txPage(a); break;
      case 'account': await accountPage(a); break;
      case 'devices': await devicesPage(a); break;
      case 'device': await devicePage(a); break;
      case 'map': await mapPage(); break;
      case 'epochs': await epochsPage(); break;
      case 'epoch': await epochPage(a, b); break;
      case 'storage': await storagePage(); break;
      case 'gov': await govRoute(parts.slice(1)); break;
      case 'compute': {
        const live = await computeRoute(parts.slice(1));
        if (live) onBlock = () => { live().catch(() => {}); };
        break;
      }
      case 'energy': {
        const live = await energyRoute(parts.slice(1));
        if (live) onBlock = () => { live().catch(() => {}); };
        break;
      }
      case 'proposal': {
        const live = await gov.proposalPage(a, b);
        if (live) onBlock = () => { live().catch(() => {}); };
        break;
      }
      default: view.innerHTML = '<p class="err">No such page.</p>';
    }
  } catch (e) {
    view.innerHTML = `<p class="err">${esc(e.message)}</p>`;
  }
}

function live() {
  const dot = document.getElementById('live');
  const es = new EventSource('/v1/events');
  es.onopen = () => dot.classList.add('on');
  es.onerror = () => dot.classList.remove('on');
  es.addEventListener('block', (m) => {
    const e = JSON.parse(m.data);
    if (onBlock) onBlock(e);
  });
}

async function start() {
  document.getElementById('search').addEventListener('submit', (e) => {
    e.preventDefault();
    search(document.getElementById('q').value);
  });
  [status, config] = await Promise.all([api('/v1/status'), api('/v1/explorer/config').catch(() => ({ oracle: null }))]);
  networks = (await api('/v1/networks')).map((n) => n.name);
  window.addEventListener('hashchange', route);
  live();
  await route();
}

start();
