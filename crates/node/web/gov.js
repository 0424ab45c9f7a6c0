// Plinth explorer: the Governance pages (proposals, a proposal with its actions,
// live tally and votes, an account's positions). Reads only /v1/gov… (see
// crates/node/src/gov_api.rs); app.js hands it its helpers, so the two modules do
// not import each other.

const COLOURS = { yes: '#3fb950', no: '#ff7b72', abstain: '#8b98a5', veto: '#d2a8ff' };
const OPTIONS = ['yes', 'no', 'abstain', 'veto'];
const STATUSES = ['active', 'deposit_period', 'voting', 'passed', 'executed', 'failed', 'rejected', 'vetoed', 'no_quorum', 'lapsed'];
const PAGE = 20;
const VOTES_PAGE = 50;

/** The Governance pages, drawn with app.js's helpers `h`. */
export function governance(h) {
  const { api, esc, num, tokens, linkAcct, linkBlock, render } = h;
  const pct = (bps) => `${(Number(bps) / 100).toFixed(2)}%`;
  // Power is a decimal string (u128): tokens × multiplier in the smallest unit.
  const power = (p) => tokens(p.display);
  const share = (part, whole) => (BigInt(whole) === 0n ? 0 : Number((BigInt(part) * 10000n) / BigInt(whole)));
  const status = (p) => p.proposal.status.status;

  // /v1/gov answers 404 no_governance on a chain without a [governance] section.
  async function gov() {
    try {
      return await api('/v1/gov');
    } catch (e) {
      if (/no_governance/.test(e.message)) return null;
      throw e;
    }
  }

  function none() {
    render('<h1>Governance</h1><p class="muted" id="no-gov">This chain has no governance: its genesis has no <code>[governance]</code> section.</p>');
  }

  function actionText(a) {
    switch (a.type) {
      case 'set_network_share': return `network <b>${esc(a.network)}</b>: share ${pct(a.share_bps)} of emission, ${pct(a.usage_bps)} of it for usage`;
      case 'set_family_params': return `network <b>${esc(a.network)}</b>: family parameters <code>${esc(a.params_json)}</code>`;
      case 'add_network': return `add network <b>${esc(a.name)}</b> (${esc(a.family)}, share ${pct(a.share_bps)}, usage ${pct(a.usage_bps)}${a.require_maker ? ', makers required' : ''}) <code>${esc(a.params_json)}</code>`;
      case 'set_credit_params': return `credits: 1 credit = ${num(a.params.credit_micro_usd)} micro-USD, prices valid ${num(a.params.price_max_age_ms)} ms`;
      case 'set_storage_params': return `storage: <code>${esc(JSON.stringify(a.params))}</code>`;
      case 'set_emission_tail': return `emission floor ${tokens(a.tail_per_epoch)} per epoch`;
      case 'set_oracle_set': return `oracle set from epoch ${num(a.effective_epoch)}: ${a.set.threshold} of ${a.set.members.map(linkAcct).join(', ')}`;
      case 'set_validators': return `validators: ${a.validators.map((v) => `${esc(v.name)} ${linkAcct(v.address)}`).join(', ')}`;
      case 'treasury_spend': return `pay ${tokens(a.amount)} from the treasury to ${linkAcct(a.to)}`;
      case 'approve_maker': return `approve maker <b>${esc(a.name)}</b> ${linkAcct(a.maker)}, ${num(a.onboard_fee_credits)} credits per device`;
      case 'revoke_maker': return `revoke maker ${linkAcct(a.maker)}`;
      case 'plan_upgrade': return `plan upgrade <b>${esc(a.name)}</b> at height ${linkBlock(a.height)}`;
      case 'cancel_upgrade': return 'cancel the planned upgrade';
      default: return `<code>${esc(JSON.stringify(a))}</code>`;
    }
  }

  function statusText(p) {
    const s = p.proposal.status;
    const v = p.verdict;
    if (s.status === 'executed') return `executed at ${linkBlock(s.height)}`;
    if (s.status === 'failed') return `<span class="err">failed at ${linkBlock(s.height)}: action ${s.action + 1}, ${esc(s.error.code)}</span>`;
    if (v.period_end !== null) return `${esc(s.status)} until ${linkBlock(v.period_end)} (${num(v.blocks_left)} blocks left)`;
    return esc(s.status);
  }

  // Stacked bar of the four options (share of all votes), and the turnout
  // against the quorum (a marker at the quorum).
  function tallyBars(p, g) {
    const t = p.tally;
    const v = p.verdict;
    const segs = OPTIONS.map((o) => {
      const w = share(t[o].raw, t.voted.raw) / 100;
      return w ? `<span class="seg-${o}" style="width:${w}%;background:${COLOURS[o]}" title="${o} ${w.toFixed(2)}%"></span>` : '';
    }).join('');
    const rows = OPTIONS.map((o) => `<tr><td><span class="swatch" style="background:${COLOURS[o]}"></span>${o}</td><td class="num">${power(t[o])}</td><td class="num">${pct(share(t[o].raw, t.voted.raw))}</td></tr>`).join('');
    const turnout = Math.min(100, v.turnout_bps / 100);
    const outcome = { passed: 'ok', rejected: 'err', vetoed: 'err', no_quorum: 'muted' }[v.outcome];
    return `<div class="bar" id="tally-bar">${segs}</div>
      <table id="tally"><thead><tr><th>Option</th><th class="num">Power</th><th class="num">Share of votes</th></tr></thead><tbody>${rows}
      <tr><td>voted</td><td class="num">${power(t.voted)}</td><td class="num">turnout ${pct(v.turnout_bps)} of ${power(v.total_power)}</td></tr></tbody></table>
      <div class="bar turnout" title="turnout ${pct(v.turnout_bps)}; quorum ${pct(g.params.quorum_bps)}"><span style="width:${turnout}%;background:#4fb3ff"></span><i style="left:${g.params.quorum_bps / 100}%"></i></div>
      <p class="muted">Turnout (blue) against all voting power; the mark is the quorum.</p>
      <p id="verdict">If the vote ended now: <b class="${outcome}">${esc(v.outcome.replace('_', ' '))}</b> —
        quorum ${v.quorum_reached ? 'reached' : 'not reached'} (${pct(v.turnout_bps)} of ${pct(g.params.quorum_bps)} needed),
        yes ${pct(v.yes_bps)} (passes above ${pct(g.params.threshold_bps)}),
        veto ${pct(v.veto_bps)} (vetoes above ${pct(g.params.veto_bps)}).</p>`;
  }

  async function listPage(before, filter) {
    const g = await gov();
    if (!g) return none();
    const q = new URLSearchParams({ limit: String(PAGE), before: before || '18446744073709551615' });
    if (filter) q.set('status', filter);
    const list = await api(`/v1/gov/proposals?${q}`);
    const last = list[list.length - 1];
    const p = g.params;
    const filterLink = (s) => `<a href="#/gov/status/${s}"${s === filter ? ' class="on"' : ''}>${s.replace('_', ' ')}</a>`;
    render(`<h1>Governance</h1>
      <div class="cards">
        ${h.card('Voting power', power(g.total_power), 'gov-power')}
        ${h.card('Tokens locked', tokens(g.tokens_locked))}
        ${h.card('Treasury', tokens(g.treasury_balance))}
        ${h.card('Active proposals', num(g.active_proposals.length))}
        ${h.card('Planned upgrade', g.upgrade ? `${esc(g.upgrade.name)} at ${linkBlock(g.upgrade.height)}` : 'none')}
      </div>
      <p class="muted">Quorum ${pct(p.quorum_bps)} of all voting power, passes above ${pct(p.threshold_bps)} yes of yes + no + veto, vetoed above ${pct(p.veto_bps)} veto (deposit burned).
        A deposit of ${tokens(p.min_deposit)} opens a vote of ${num(p.voting_period_blocks)} blocks. Locks of ${num(p.min_lock_blocks)} to ${num(p.max_lock_blocks)} blocks; the longest gives ${(p.max_multiplier_bps / 10000).toFixed(2)}× power.
        Treasury ${linkAcct(g.treasury)}.</p>
      <form id="positions-form" class="controls"><input id="positions-addr" placeholder="plinth1… — an account's positions" aria-label="address"><button>Positions</button></form>
      <h2>Proposals</h2>
      <div class="pager" id="status-filter"><a href="#/gov"${filter ? '' : ' class="on"'}>all</a>${STATUSES.map(filterLink).join('')}</div>
      <table id="proposals"><thead><tr><th>#</th><th>Status</th><th>Description</th><th>Actions</th><th class="num">Yes</th><th class="num">Turnout</th><th>If it ended now</th></tr></thead><tbody>
      ${list.map((x) => `<tr><td><a href="#/proposal/${x.proposal.id}">${x.proposal.id}</a></td><td>${statusText(x)}</td><td>${esc(x.proposal.description.split('\n')[0].slice(0, 80))}</td><td>${x.proposal.actions.map((a) => esc(a.type)).join(', ')}</td><td class="num">${pct(x.verdict.yes_bps)}</td><td class="num">${pct(x.verdict.turnout_bps)}</td><td>${esc(x.verdict.outcome.replace('_', ' '))}</td></tr>`).join('') || '<tr><td colspan="7" class="muted">no proposal</td></tr>'}
      </tbody></table>
      <div class="pager">${list.length === PAGE && last.proposal.id > 0 ? `<a href="#/gov/${filter ? `status/${filter}/` : ''}older/${last.proposal.id}">older →</a>` : ''}</div>`);
    document.getElementById('positions-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const a = document.getElementById('positions-addr').value.trim();
      if (a) location.hash = `#/gov/positions/${a}`;
    });
  }

  async function proposalPage(id, after) {
    const g = await gov();
    if (!g) return none();
    const [p, votes] = await Promise.all([
      api(`/v1/gov/proposals/${encodeURIComponent(id)}`),
      api(`/v1/gov/proposals/${encodeURIComponent(id)}/votes?limit=${VOTES_PAGE}${after ? `&after=${encodeURIComponent(after)}` : ''}`),
    ]);
    const x = p.proposal;
    const last = votes[votes.length - 1];
    render(`<h1>Proposal ${num(x.id)}</h1>
      <dl>
        <dt>Status</dt><dd id="proposal-status">${statusText(p)}</dd>
        <dt>Description</dt><dd id="description">${esc(x.description)}</dd>
        <dt>Proposer</dt><dd>${linkAcct(x.proposer)}</dd>
        <dt>Deposit</dt><dd>${tokens(x.total_deposit)} of ${tokens(g.params.min_deposit)} from ${num(x.deposits.length)} account(s)</dd>
        <dt>Submitted</dt><dd>block ${linkBlock(x.submitted_height)}</dd>
        <dt>Voting</dt><dd>${x.voting_start !== null ? `blocks ${linkBlock(x.voting_start)} – ${linkBlock(x.voting_end)}` : `deposits until ${linkBlock(x.deposit_end)}`}</dd>
        <dt>Applies</dt><dd>${x.execute_height !== null ? `at height ${linkBlock(x.execute_height)}` : 'at the end of the vote'}, if passed</dd>
      </dl>
      <h2>Actions (${x.actions.length})</h2>
      <ol id="actions">${x.actions.map((a) => `<li><span class="mono muted">${esc(a.type)}</span> ${actionText(a)}</li>`).join('') || '<li class="muted">none</li>'}</ol>
      <h2>Tally</h2>
      <div id="live-tally">${tallyBars(p, g)}</div>
      <h2>Votes (${num(x.voters)})</h2>
      <table id="votes"><thead><tr><th>Voter</th><th>Vote</th><th>Block</th><th class="num">Power</th><th class="num">Delegated to it</th></tr></thead><tbody>
      ${votes.map((v) => `<tr><td>${linkAcct(v.voter)}</td><td><span class="swatch" style="background:${COLOURS[v.option]}"></span>${esc(v.option)}</td><td>${linkBlock(v.height)}</td><td class="num">${power(v.power)}</td><td class="num">${power(v.delegated_power)}</td></tr>`).join('') || '<tr><td colspan="5" class="muted">no vote yet</td></tr>'}
      </tbody></table>
      <div class="pager">${after ? `<a href="#/proposal/${x.id}">first votes</a>` : ''}${votes.length === VOTES_PAGE ? `<a href="#/proposal/${x.id}/${esc(last.voter)}">more votes →</a>` : ''}</div>`);
    // The tally moves with every block while the proposal is open.
    if (['deposit_period', 'voting'].includes(status(p))) {
      return async () => {
        const now = await api(`/v1/gov/proposals/${encodeURIComponent(id)}`);
        const el = document.getElementById('live-tally');
        if (!el) return;
        el.innerHTML = tallyBars(now, g);
        document.getElementById('proposal-status').innerHTML = statusText(now);
      };
    }
    return null;
  }

  async function positionsPage(addr) {
    const g = await gov();
    if (!g) return none();
    const v = await api(`/v1/gov/positions?owner=${encodeURIComponent(addr)}`);
    const lock = (p) => (p.position.lock.state === 'locked'
      ? `locked ${num(p.position.lock_blocks)} blocks`
      : `cooling until ${linkBlock(p.position.lock.end_height)}${p.position.lock.end_height <= v.height ? ' (withdrawable)' : ''}`);
    render(`<h1>Governance positions</h1>
      <dl>
        <dt>Owner</dt><dd>${linkAcct(v.owner)}</dd>
        <dt>Voting power</dt><dd id="owner-power">${power(v.power)}</dd>
        <dt>Delegates to</dt><dd>${v.delegate ? linkAcct(v.delegate) : 'nobody'}</dd>
        <dt>Delegated to it</dt><dd>${power(v.delegated_power)} from ${num(v.delegators.length)} account(s)${v.delegators.length ? `: ${v.delegators.map(linkAcct).join(', ')}` : ''}</dd>
      </dl>
      <h2>Positions</h2>
      <table id="positions"><thead><tr><th>#</th><th class="num">Amount</th><th>Lock</th><th class="num">Power now</th><th class="num">Power while locked</th><th>Since</th></tr></thead><tbody>
      ${v.positions.map((p) => `<tr><td>${p.position.id}</td><td class="num">${tokens(p.position.amount)}</td><td>${lock(p)}</td><td class="num">${power(p.power)}</td><td class="num">${power(p.locked_power)}</td><td>${linkBlock(p.position.created_height)}</td></tr>`).join('') || '<tr><td colspan="6" class="muted">no position</td></tr>'}
      </tbody></table>`);
  }

  return { listPage, proposalPage, positionsPage };
}
