// Plinth explorer: the Compute pages (providers with their attributes and
// reputation, orders, leases paid per block, jobs with the verification outcome
// of each claim, and the frame of a render job). Reads only /v1/compute… (see
// crates/node/src/compute_api.rs); app.js hands it its helpers, so the two
// modules do not import each other.

const LIST = 100;
const CLAIMS_PAGE = 100;
const TASKS_PAGE = 4096;
// A render job's frame is drawn in the browser only up to this size.
const MAX_FRAME_PIXELS = 2048 * 2048;
const MAX_FRAME_TASKS = 4096;

/** The Compute pages, drawn with app.js's helpers `h`. */
export function compute(h) {
  const { api, esc, num, tokens, short, linkAcct, linkBlock, linkDev, card, render } = h;
  const pct = (bps) => `${(Number(bps) / 100).toFixed(2)}%`;
  const credits = (n) => `${num(n)} cr`;
  const mib = (m) => (m >= 1024 ? `${(m / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} GiB` : `${num(m)} MiB`);
  const linkLease = (id) => `<a class="mono" href="#/compute/lease/${esc(id)}">${esc(short(id))}</a>`;
  const linkJob = (id) => `<a class="mono" href="#/compute/job/${esc(id)}">${esc(short(id))}</a>`;
  const linkOrder = (id) => `<a class="mono" href="#/compute/order/${esc(id)}">${esc(short(id))}</a>`;
  const linkProvider = (d) => `<a class="mono" href="#/compute/provider/${esc(d)}">${esc(short(d, 12))}</a>`;
  const words = (s) => esc(String(s).replace(/_/g, ' '));

  function accel(a) {
    if (!a.accelerator) return '<span class="muted">none</span>';
    const x = a.accelerator;
    return `${x.count > 1 ? `${num(x.count)} × ` : ''}<b>${esc(x.model)}</b> ${mib(x.memory_mib)}`;
  }

  // The attributes a provider offers (or a bid or lease carries), attested or not.
  function attrs(a, cell, attested, maker) {
    const mark = attested
      ? `<span class="ok attested" title="the device's maker signed these attributes">✓ attested${maker ? ` by ${esc(maker)}` : ''}</span>`
      : '<span class="muted">self-declared</span>';
    return `${num(a.cores)} cores, ${mib(a.memory_mib)}, accelerator ${accel(a)}, region <span class="mono">${esc(cell)}</span> ${mark}`;
  }

  function reputation(r) {
    return `leases ${num(r.leases_completed)} done / <span class="${r.leases_failed ? 'err' : ''}">${num(r.leases_failed)} failed</span>,
      checks ${num(r.checks_passed)} ✓ / <span class="${r.checks_failed ? 'err' : ''}">${num(r.checks_failed)} ✗</span>,
      tasks ${num(r.tasks_verified)} verified${r.tasks_outvoted ? `, ${num(r.tasks_outvoted)} outvoted` : ''},
      claims <span class="${r.claims_slashed ? 'err' : ''}">${num(r.claims_slashed)} slashed</span> / ${num(r.claims_expired)} expired,
      earned ${credits(r.credits_earned)}`;
  }

  function leaseStatus(l) {
    if (l.status.status === 'active') return '<span class="ok">active</span>';
    const reason = l.status.reason ? words(l.status.reason) : '';
    if (l.awaiting_close) return `<span class="err">ended: ${reason}</span> <span class="muted">(not closed on the ledger yet)</span>`;
    const bad = ['failed_checks', 'provider_gone'].includes(l.status.reason);
    return `<span class="${bad ? 'err' : 'muted'}">closed: ${reason}</span>${l.closed_height ? ` at ${linkBlock(l.closed_height)}` : ''}`;
  }

  function progressBar(done, total) {
    const w = total ? Math.min(100, (100 * done) / total) : 0;
    return `<div class="bar progress" title="${num(done)} of ${num(total)} tasks done"><span style="width:${w}%;background:#3fb950"></span></div>`;
  }

  // What decided a claim (or what it waits for), with the tasks its check drew.
  function outcome(c) {
    const drawn = c.checked_tasks ? `checked task${c.checked_tasks.length === 1 ? '' : 's'} ${c.checked_tasks.map(num).join(', ')}` : '';
    switch (c.status) {
      case 'verified': return `<span class="ok">verified</span>${drawn ? ` <span class="muted">(${drawn})</span>` : ''}`;
      case 'slashed':
        return c.slash_reason === 'wrong_result'
          ? `<span class="err">slashed: a wrong result</span>${drawn ? ` <span class="muted">(${drawn}; the mismatch is among them)</span>` : ''}`
          : '<span class="err">slashed: committed, never revealed</span>';
      case 'expired': return '<span class="muted">expired: not committed in time</span>';
      case 'revealed': return `revealed, waiting for the oracle set's spot check${drawn ? ` (${drawn})` : ''}${c.verify_due !== null ? `, due by ${linkBlock(c.verify_due)}` : ''}`;
      case 'committed': return `committed${c.reveal_due !== null ? `, reveal due by ${linkBlock(c.reveal_due)}` : ', waiting for the other copies\' commits'}`;
      default: return `claimed, commit due before ${linkBlock(c.commit_deadline)}`;
    }
  }

  async function params() {
    return api('/v1/compute/params');
  }

  async function overview() {
    const [p, offers, leases, jobs, orders] = await Promise.all([
      params(),
      api(`/v1/compute/offers?limit=${LIST}`),
      api(`/v1/compute/leases?limit=${LIST}`),
      api(`/v1/compute/jobs?limit=${LIST}`),
      api(`/v1/compute/orders?status=open&limit=${LIST}`),
    ]);
    const c = p.params;
    const active = leases.filter((l) => l.status.status === 'active');
    const openJobs = jobs.filter((j) => j.status === 'open');
    render(`<h1>Compute</h1>
      <p class="muted">Providers offer capacity; consumers order it and pay leases per block from escrow, or post jobs of deterministic WebAssembly whose results providers commit, reveal, and the oracle set spot-checks by re-running ${pct(c.default_spot_check_bps)} of each claim's tasks (by default): a wrong result slashes ${pct(c.cheat_slash_bps)} of the claim's collateral to the consumer.
        ${num(c.max_check_failures)} failed capacity checks in a row close a lease and slash ${pct(c.check_slash_bps)} of its collateral. Claims commit within ${num(c.commit_blocks)} blocks, reveal within ${num(c.reveal_blocks)}, and are paid unchecked after ${num(c.verify_blocks)}.${p.configured ? '' : ' (The genesis has no <code>[compute]</code> section: these are the defaults.)'}</p>
      <div class="cards">
        ${card('Networks', p.networks.length ? p.networks.map(esc).join(', ') : 'none', 'compute-networks')}
        ${card('Providers', num(offers.length), 'compute-provider-count')}
        ${card('Active leases', num(active.length), 'compute-active-leases')}
        ${card('Open jobs', num(openJobs.length), 'compute-open-jobs')}
        ${card('Collateral locked', tokens(offers.reduce((a, o) => a + o.locked, 0)))}
      </div>
      <h2>Providers</h2>
      <table id="compute-providers"><thead><tr><th>Provider</th><th>Owner</th><th>Network</th><th>Offers</th><th class="num">Credits / block</th><th class="num">Credits / task</th><th class="num">Collateral free / locked</th><th>Reputation</th></tr></thead><tbody>
      ${offers.map((o) => `<tr><td>${linkProvider(o.device)}${o.device_active ? '' : ' <span class="err">retired</span>'}</td><td>${linkAcct(o.owner)}</td><td>${esc(o.network)}</td><td>${attrs(o.attrs, o.region_cell, o.attested, o.maker_name)}</td><td class="num">${num(o.price_per_block)}</td><td class="num">${num(o.price_per_task)}</td><td class="num">${tokens(o.free)} / ${tokens(o.locked)}</td><td class="rep">${reputation(o.reputation)}</td></tr>`).join('') || '<tr><td colspan="8" class="muted">no provider offers compute yet</td></tr>'}
      </tbody></table>
      <h2>Leases</h2>
      <table id="compute-leases"><thead><tr><th>Lease</th><th>Provider</th><th>Consumer</th><th>Status</th><th class="num">Price / block</th><th class="num">Paid</th><th class="num">Escrow left</th><th>Pays until</th><th class="num">Checks ✓ / ✗</th></tr></thead><tbody>
      ${leases.map((l) => `<tr><td>${linkLease(l.id)}</td><td>${linkProvider(l.provider)}</td><td>${linkAcct(l.consumer)}</td><td>${leaseStatus(l)}</td><td class="num">${credits(l.price_per_block)}</td><td class="num">${credits(l.paid)}</td><td class="num">${credits(l.escrow)}</td><td>${linkBlock(l.pays_until)}</td><td class="num">${num(l.checks_passed)} / ${num(l.checks_failed)}</td></tr>`).join('') || '<tr><td colspan="9" class="muted">no lease yet</td></tr>'}
      </tbody></table>
      <h2>Jobs</h2>
      <table id="compute-jobs"><thead><tr><th>Job</th><th>Consumer</th><th>Status</th><th>Progress</th><th class="num">Tasks</th><th class="num">Credits / task</th><th class="num">Spot checks</th><th class="num">Claims</th><th>Created</th></tr></thead><tbody>
      ${jobs.map((j) => `<tr><td>${linkJob(j.id)}</td><td>${linkAcct(j.consumer)}</td><td>${esc(j.status)}</td><td>${progressBar(j.done, j.tasks)}</td><td class="num">${num(j.done)} / ${num(j.tasks)}${j.redundancy > 1 ? ` ×${j.redundancy}` : ''}</td><td class="num">${num(j.price_per_task)}</td><td class="num">${pct(j.spot_check_bps)}</td><td class="num">${num(j.claims)}</td><td>${linkBlock(j.created_height)}</td></tr>`).join('') || '<tr><td colspan="9" class="muted">no job yet</td></tr>'}
      </tbody></table>
      <h2>Open orders</h2>
      <table id="compute-orders"><thead><tr><th>Order</th><th>Consumer</th><th>Network</th><th>Requires</th><th class="num">Max credits / block</th><th class="num">Blocks</th><th class="num">Bids</th><th>Bids until</th></tr></thead><tbody>
      ${orders.map((o) => `<tr><td>${linkOrder(o.id)}</td><td>${linkAcct(o.consumer)}</td><td>${esc(o.network)}</td><td>${requirements(o.requirements)}</td><td class="num">${num(o.max_price_per_block)}</td><td class="num">${num(o.duration_blocks)}</td><td class="num">${num(o.bidders.length)}</td><td>${linkBlock(o.bids_until)}</td></tr>`).join('') || '<tr><td colspan="8" class="muted">no open order</td></tr>'}
      </tbody></table>`);
  }

  function requirements(r) {
    const parts = [];
    if (r.min_cores) parts.push(`≥ ${num(r.min_cores)} cores`);
    if (r.min_memory_mib) parts.push(`≥ ${mib(r.min_memory_mib)}`);
    if (r.accelerator_model) parts.push(`<b>${esc(r.accelerator_model)}</b>`);
    if (r.min_accelerator_memory_mib) parts.push(`accelerator ≥ ${mib(r.min_accelerator_memory_mib)}`);
    if (r.region !== null) parts.push('a region');
    if (r.attested_only) parts.push('attested only');
    if (r.min_collateral) parts.push(`collateral ≥ ${tokens(r.min_collateral)}`);
    return parts.join(', ') || '<span class="muted">anything</span>';
  }

  async function providerPage(device) {
    const [o, leases] = await Promise.all([
      api(`/v1/compute/offers/${encodeURIComponent(device)}`),
      api(`/v1/compute/leases?provider=${encodeURIComponent(device)}&limit=${LIST}`),
    ]);
    render(`<h1>Compute provider</h1>
      <dl>
        <dt>Device</dt><dd>${linkDev(o.device)} ${o.device_active ? '' : '<span class="err">retired</span>'}</dd>
        <dt>Owner</dt><dd>${linkAcct(o.owner)}</dd>
        <dt>Network</dt><dd>${esc(o.network)}</dd>
        <dt>Offers</dt><dd id="provider-attrs">${attrs(o.attrs, o.region_cell, o.attested, o.maker_name)}</dd>
        <dt>Endpoint</dt><dd class="mono">${esc(o.endpoint)}</dd>
        <dt>Prices</dt><dd>${credits(o.price_per_block)} per lease block, ${credits(o.price_per_task)} per task</dd>
        <dt>Collateral</dt><dd>${tokens(o.collateral_per_lease)} per lease, ${tokens(o.collateral_per_task)} per task; pool ${tokens(o.free)} free, ${tokens(o.locked)} locked; ${num(o.open_leases)} open lease(s)</dd>
        <dt>Reputation</dt><dd id="provider-reputation">${reputation(o.reputation)}</dd>
      </dl>
      <h2>Leases</h2>
      <table id="provider-leases"><thead><tr><th>Lease</th><th>Consumer</th><th>Status</th><th class="num">Price / block</th><th class="num">Paid</th><th class="num">Checks ✓ / ✗</th></tr></thead><tbody>
      ${leases.map((l) => `<tr><td>${linkLease(l.id)}</td><td>${linkAcct(l.consumer)}</td><td>${leaseStatus(l)}</td><td class="num">${credits(l.price_per_block)}</td><td class="num">${credits(l.paid)}</td><td class="num">${num(l.checks_passed)} / ${num(l.checks_failed)}</td></tr>`).join('') || '<tr><td colspan="6" class="muted">no lease</td></tr>'}
      </tbody></table>`);
  }

  async function orderPage(id) {
    const o = await api(`/v1/compute/orders/${encodeURIComponent(id)}`);
    render(`<h1>Compute order</h1>
      <dl>
        <dt>Id</dt><dd class="mono">${esc(o.id)}</dd>
        <dt>Consumer</dt><dd>${linkAcct(o.consumer)}</dd>
        <dt>Status</dt><dd id="order-status">${esc(o.status)}${o.lease ? ` — ${linkLease(o.lease)}` : ''}${o.taking_bids ? `, taking bids until ${linkBlock(o.bids_until)}` : ''}</dd>
        <dt>Requires</dt><dd>${requirements(o.requirements)}</dd>
        <dt>Terms</dt><dd>at most ${credits(o.max_price_per_block)} per block for ${num(o.duration_blocks)} blocks; ${credits(o.deposit)} deposited</dd>
        <dt>Posted</dt><dd>block ${linkBlock(o.created_height)}</dd>
      </dl>
      <h2>Bids</h2>
      <table id="bids"><thead><tr><th>Provider</th><th>Attributes</th><th class="num">Credits / block</th><th class="num">Deposit</th><th>Expires</th></tr></thead><tbody>
      ${o.bids.map((b) => `<tr><td>${linkProvider(b.provider)}</td><td>${attrs(b.attrs, b.region_cell, b.attested)}</td><td class="num">${num(b.price_per_block)}</td><td class="num">${tokens(b.deposit)}</td><td>${linkBlock(b.expires_height)}${b.live ? '' : ' <span class="muted">(lapsed)</span>'}</td></tr>`).join('') || `<tr><td colspan="5" class="muted">${o.status === 'open' ? 'no bid yet' : 'every bid ended with the order'}</td></tr>`}
      </tbody></table>`);
  }

  function leaseFacts(l) {
    return `<dt>Status</dt><dd id="lease-status">${leaseStatus(l)}</dd>
        <dt>Paid</dt><dd id="lease-paid">${credits(l.paid)} <span class="muted">(through block ${num(l.height)}, ${credits(l.price_per_block)} per block)</span></dd>
        <dt>Escrow left</dt><dd id="lease-escrow">${credits(l.escrow)}${l.status.status === 'active' ? ` — pays until block ${linkBlock(l.pays_until)}` : ''}</dd>`;
  }

  async function leasePage(id) {
    const l = await api(`/v1/compute/leases/${encodeURIComponent(id)}`);
    render(`<h1>Compute lease</h1>
      <dl>
        <dt>Id</dt><dd class="mono">${esc(l.id)} — ${linkOrder(l.id)}</dd>
        <dt>Provider</dt><dd>${linkProvider(l.provider)}</dd>
        <dt>Consumer</dt><dd>${linkAcct(l.consumer)}</dd>
        <dt>Network</dt><dd>${esc(l.network)}</dd>
        <dt>Attributes</dt><dd>${attrs(l.attrs, l.region_cell, false).replace('<span class="muted">self-declared</span>', '<span class="muted">as bid</span>')}</dd>
        <dt>Runs</dt><dd>blocks ${linkBlock(l.start_height)} – ${linkBlock(l.end_height)}</dd>
        <dt>Collateral</dt><dd>${tokens(l.collateral)}</dd>
        <dt>Capacity checks</dt><dd>${num(l.checks_passed)} passed, ${num(l.checks_failed)} failed (${num(l.consecutive_failures)} in a row)</dd>
      </dl>
      <dl id="lease-live">${leaseFacts(l)}</dl>
      <p class="muted">Paid per block from escrow and settled lazily: the figures are what the ledger would settle now, without a transaction.</p>`);
    if (l.status.status !== 'active') return null;
    return async () => {
      const now = await api(`/v1/compute/leases/${encodeURIComponent(id)}`);
      const el = document.getElementById('lease-live');
      if (el) el.innerHTML = leaseFacts(now);
    };
  }

  // The tasks as small squares: done, in flight (claimed), open.
  function taskGrid(tasks) {
    return tasks.map((t) => {
      const cls = t.done ? 'done' : t.claims.length ? 'flight' : 'open';
      return `<span class="task ${cls}" title="task ${t.task}: ${t.done ? `done, result ${t.result}` : t.claims.length ? 'claimed' : 'open'}"></span>`;
    }).join('');
  }

  async function jobPage(id, after) {
    const [j, claims, tasks] = await Promise.all([
      api(`/v1/compute/jobs/${encodeURIComponent(id)}`),
      api(`/v1/compute/jobs/${encodeURIComponent(id)}/claims?limit=${CLAIMS_PAGE}${after ? `&after=${encodeURIComponent(after)}` : ''}`),
      api(`/v1/compute/jobs/${encodeURIComponent(id)}/tasks?limit=${TASKS_PAGE}`),
    ]);
    const p = j.progress;
    const c = p.claims;
    const last = claims[claims.length - 1];
    render(`<h1>Compute job</h1>
      <dl>
        <dt>Id</dt><dd class="mono">${esc(j.id)}</dd>
        <dt>Consumer</dt><dd>${linkAcct(j.consumer)}</dd>
        <dt>Status</dt><dd id="job-status">${esc(j.status)}, ${num(p.tasks_done)} of ${num(j.tasks)} tasks done${p.tasks_in_flight ? `, ${num(p.tasks_in_flight)} in flight` : ''}${p.tasks_open && j.status === 'open' ? `, ${num(p.tasks_open)} open` : ''}</dd>
        <dt>Module</dt><dd><a class="mono" href="/v1/compute/modules/${esc(j.module)}/bytes">${esc(short(j.module))}</a> over input <a class="mono" href="/v1/compute/jobs/${esc(j.id)}/input">${esc(short(j.input_hash))}</a></dd>
        <dt>Terms</dt><dd>${credits(j.price_per_task)} per task${j.redundancy > 1 ? `, each run by ${j.redundancy} providers (majority decides)` : ''}, ${num(j.fuel_per_task)} fuel per task; spot checks ${pct(j.spot_check_bps)} of each claim; ${credits(j.escrow)} in escrow${j.lease ? `; on lease ${linkLease(j.lease)}` : ''}</dd>
        <dt>Blocks</dt><dd>created ${linkBlock(j.created_height)}, deadline ${linkBlock(j.deadline_height)}</dd>
        <dt>Claims</dt><dd id="job-claims">${num(c.verified)} verified, ${num(c.slashed)} slashed, ${num(c.expired)} expired, ${num(c.claimed + c.committed + c.revealed)} in progress</dd>
      </dl>
      ${progressBar(p.tasks_done, j.tasks)}
      <div id="frame-box"></div>
      <h2>Tasks</h2>
      <div id="tasks" class="tasks">${taskGrid(tasks)}</div>
      <p class="muted"><span class="task done"></span> done <span class="task flight"></span> claimed <span class="task open"></span> open</p>
      <h2>Claims and their verification</h2>
      <table id="claims"><thead><tr><th class="num">#</th><th>Provider</th><th>Tasks</th><th>Claimed</th><th>Outcome</th><th class="num">Collateral</th></tr></thead><tbody>
      ${claims.map((x) => `<tr class="claim-${esc(x.status)}"><td class="num">${num(x.number)}</td><td>${linkProvider(x.provider)}</td><td>${x.tasks.length > 8 ? `${num(x.tasks[0])}…${num(x.tasks[x.tasks.length - 1])} (${num(x.tasks.length)})` : x.tasks.map(num).join(', ')}</td><td>${linkBlock(x.claimed_height)}</td><td>${outcome(x)}</td><td class="num">${tokens(x.collateral)}</td></tr>`).join('') || '<tr><td colspan="6" class="muted">no claim yet</td></tr>'}
      </tbody></table>
      <div class="pager">${after ? `<a href="#/compute/job/${esc(j.id)}">first claims</a>` : ''}${claims.length === CLAIMS_PAGE ? `<a href="#/compute/job/${esc(j.id)}/${last.number}">more claims →</a>` : ''}</div>`);
    const input = await fetch(`/v1/compute/jobs/${encodeURIComponent(id)}/input`).then((r) => (r.ok ? r.arrayBuffer() : null));
    const tiling = input && renderTiling(new Uint8Array(input));
    // Drawn while the page is read (a few seconds for the demo scene).
    if (tiling) drawFrame(j, new Uint8Array(input), tiling, tasks).catch(() => {});
    if (j.status !== 'open') return null;
    // An open job moves with the blocks: its progress and tasks.
    return async () => {
      const [now, ts] = await Promise.all([
        api(`/v1/compute/jobs/${encodeURIComponent(id)}`),
        api(`/v1/compute/jobs/${encodeURIComponent(id)}/tasks?limit=${TASKS_PAGE}`),
      ]);
      const grid = document.getElementById('tasks');
      if (!grid) return;
      grid.innerHTML = taskGrid(ts);
      const q = now.progress;
      document.getElementById('job-status').innerHTML = `${esc(now.status)}, ${num(q.tasks_done)} of ${num(now.tasks)} tasks done${q.tasks_in_flight ? `, ${num(q.tasks_in_flight)} in flight` : ''}`;
    };
  }

  // The tiling of a render job's input (the demo renderer's PLRS v1 header:
  // magic, version, then width, height and tile as little-endian u16), or null.
  function renderTiling(input) {
    if (input.length < 12) return null;
    const magic = String.fromCharCode(input[0], input[1], input[2], input[3]);
    const word = (at) => input[at] | (input[at + 1] << 8);
    if (magic !== 'PLRS' || word(4) !== 1) return null;
    const [width, height, tile] = [word(6), word(8), word(10)];
    if (!width || !height || !tile || width * height > MAX_FRAME_PIXELS) return null;
    const columns = Math.ceil(width / tile);
    const tasks = columns * Math.ceil(height / tile);
    if (tasks > MAX_FRAME_TASKS) return null;
    return { width, height, tile, columns, tasks };
  }

  // The frame of a render job, drawn by running the job's module (from the
  // ledger) over its input in this browser, for the tasks that are done: the same
  // deterministic computation whose results the providers committed and the
  // oracle set spot-checked. Each task runs in a fresh instance, as the task ABI
  // says; its output is the tile's RGB8 pixels.
  async function drawFrame(j, input, t, tasks) {
    const box = document.getElementById('frame-box');
    const done = tasks.filter((x) => x.done).map((x) => x.task).filter((x) => x < t.tasks);
    box.innerHTML = `<h2>Rendered frame</h2>
      <canvas id="frame" width="${t.width}" height="${t.height}" style="width:${t.width * Math.max(1, Math.min(3, Math.floor(768 / t.width)))}px"></canvas>
      <p class="muted" id="frame-status">${done.length ? `drawing ${num(done.length)} of ${num(t.tasks)} tiles…` : 'no tile done yet'}</p>`;
    if (!done.length) return;
    const status = document.getElementById('frame-status');
    try {
      const bytes = await fetch(`/v1/compute/modules/${encodeURIComponent(j.module)}/bytes`).then((r) => {
        if (!r.ok) throw new Error(`module: HTTP ${r.status}`);
        return r.arrayBuffer();
      });
      const module = await WebAssembly.compile(bytes);
      const ctx = document.getElementById('frame').getContext('2d');
      for (const task of done) {
        const x = (task % t.columns) * t.tile;
        const y = Math.floor(task / t.columns) * t.tile;
        const w = Math.min(t.tile, t.width - x);
        const hgt = Math.min(t.tile, t.height - y);
        const inst = await WebAssembly.instantiate(module, {});
        const { memory, plinth_alloc: alloc, plinth_task: run } = inst.exports;
        const ptr = alloc(input.length);
        new Uint8Array(memory.buffer, ptr, input.length).set(input);
        const r = BigInt(run(ptr, input.length, task));
        if (r < 0n) throw new Error(`task ${task} failed with code ${-r}`);
        const out = new Uint8Array(memory.buffer, Number(r >> 32n), Number(r & 0xffffffffn));
        if (out.length !== w * hgt * 3) throw new Error(`task ${task}: ${out.length} bytes, not a ${w}×${hgt} tile`);
        const img = ctx.createImageData(w, hgt);
        for (let i = 0, o = 0; i < out.length; i += 3, o += 4) {
          img.data[o] = out[i];
          img.data[o + 1] = out[i + 1];
          img.data[o + 2] = out[i + 2];
          img.data[o + 3] = 255;
        }
        ctx.putImageData(img, x, y);
        // Let the page breathe between tiles.
        await new Promise((ok) => setTimeout(ok, 0));
      }
      status.textContent = `${done.length === t.tasks ? 'rendered' : `rendered ${num(done.length)} of ${num(t.tasks)} tiles`}: ${t.width}×${t.height}, drawn in this browser by running the job's module from the ledger over its input, tile by tile — the deterministic computation whose results the providers committed and the oracle set spot-checked.`;
    } catch (e) {
      status.innerHTML = `<span class="err">the frame could not be drawn: ${esc(e.message)}</span>`;
    }
  }

  return { overview, providerPage, orderPage, leasePage, jobPage };
}
