/**
 * The dashboard: one self-contained HTML page (inline CSS and script, no
 * framework, no build step) that polls `GET /dashboard/state` once a second
 * and redraws. Everything from the host is put in with `textContent`, never
 * as HTML: function names and log lines come from user code.
 */
export const DASHBOARD_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>neolith dashboard</title>
<style>
  :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --muted:#6b7385; --line:#e3e6ec; --accent:#4f46e5;
          --idle:#22a06b; --busy:#f59e0b; --boot:#9aa3b5; --err:#dc2626; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
  * { box-sizing: border-box; }
  body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
  header { display:flex; align-items:center; gap:16px; padding:14px 24px; background:#111827; color:#fff; }
  header h1 { margin:0; font-size:18px; letter-spacing:.02em; }
  header .meta { color:#aab2c5; font-size:13px; flex:1; }
  .status { font-size:12px; padding:2px 8px; border-radius:10px; background:#14532d; color:#bbf7d0; }
  .status.down { background:#7f1d1d; color:#fecaca; }
  a.button { background:var(--accent); color:#fff; text-decoration:none; padding:7px 14px; border-radius:6px; font-weight:600; font-size:13px; }
  a.button:hover { filter:brightness(1.1); }
  main { padding:20px 24px 32px; max-width:1400px; margin:0 auto; }
  .tiles { display:grid; grid-template-columns:repeat(auto-fit, minmax(150px, 1fr)); gap:12px; margin-bottom:20px; }
  .tile { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
  .tile .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
  .tile .value { font-size:24px; font-weight:650; margin-top:2px; font-variant-numeric:tabular-nums; }
  .tile .sub { color:var(--muted); font-size:12px; }
  .tile.bad .value { color:var(--err); }
  .tile svg { display:block; width:100%; height:28px; margin-top:4px; }
  section { background:var(--card); border:1px solid var(--line); border-radius:8px; margin-bottom:20px; overflow:hidden; }
  section h2 { margin:0; padding:12px 16px; font-size:15px; border-bottom:1px solid var(--line); }
  table { width:100%; border-collapse:collapse; }
  th, td { padding:8px 12px; text-align:left; border-bottom:1px solid var(--line); vertical-align:top; }
  th { font-size:12px; color:var(--muted); font-weight:600; background:#fafbfc; white-space:nowrap; }
  td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
  tr:last-child td { border-bottom:none; }
  .name { font-weight:600; }
  .config { color:var(--muted); font-size:12px; }
  .envs { display:flex; flex-wrap:wrap; gap:3px; max-width:180px; }
  .env { width:12px; height:12px; border-radius:3px; display:inline-block; }
  .env.idle { background:var(--idle); } .env.busy { background:var(--busy); } .env.booting { background:var(--boot); }
  .legend { color:var(--muted); font-size:12px; padding:8px 16px; border-top:1px solid var(--line); }
  .legend .env { vertical-align:-1px; margin:0 4px 0 10px; }
  .badge { display:inline-block; font-size:11px; padding:1px 6px; border-radius:4px; background:#eef0f4; color:var(--muted); }
  .badge.cold { background:#e0e7ff; color:#3730a3; } .badge.err { background:#fee2e2; color:#991b1b; } .badge.ok { background:#dcfce7; color:#166534; }
  details summary { cursor:pointer; color:var(--muted); font-size:12px; font-family:var(--mono); white-space:nowrap; overflow:hidden; text-overflow:ellipsis; max-width:520px; }
  details summary .id { color:#9aa3b5; margin-right:8px; }
  td.time { white-space:nowrap; }
  pre { margin:6px 0 0; padding:8px 10px; background:#0f172a; color:#e2e8f0; border-radius:6px; font:12px/1.4 var(--mono); white-space:pre-wrap; word-break:break-all; max-height:220px; overflow:auto; }
  .mono { font-family:var(--mono); font-size:12px; }
  .empty { color:var(--muted); padding:16px; }
  footer { color:var(--muted); font-size:12px; text-align:center; }
</style>
</head>
<body>
<header>
  <h1>neolith</h1>
  <span class="meta" id="meta">connecting…</span>
  <span class="status" id="status">live</span>
  <a class="button" id="graphiql" href="/graphql" target="_blank" rel="noopener">Open GraphiQL</a>
</header>
<main>
  <div class="tiles">
    <div class="tile"><div class="label">Invocations / s</div><div class="value" id="t-rate">–</div><svg id="spark" viewBox="0 0 60 28" preserveAspectRatio="none"><polyline fill="none" stroke="#4f46e5" stroke-width="1.5" points=""/></svg></div>
    <div class="tile"><div class="label">Invocations</div><div class="value" id="t-invocations">–</div><div class="sub">since start</div></div>
    <div class="tile" id="tile-errors"><div class="label">Errors</div><div class="value" id="t-errors">–</div><div class="sub" id="t-throttles">–</div></div>
    <div class="tile"><div class="label">Cold starts</div><div class="value" id="t-cold">–</div><div class="sub" id="t-cold-pct">–</div></div>
    <div class="tile"><div class="label">Concurrent</div><div class="value" id="t-running">–</div><div class="sub" id="t-peak">–</div></div>
    <div class="tile"><div class="label">Queue depth</div><div class="value" id="t-queue">–</div><div class="sub" id="t-queue-age">–</div></div>
    <div class="tile" id="tile-dlq"><div class="label">Dead letters</div><div class="value" id="t-dlq">–</div><div class="sub">async failures kept</div></div>
  </div>
  <section>
    <h2>Functions</h2>
    <table>
      <thead><tr><th>Function</th><th>Environments</th><th class="num">Running / peak</th><th class="num">Inv/s</th><th class="num">Invocations</th>
        <th class="num">Errors</th><th class="num">Cold starts</th><th class="num">Throttles</th><th class="num">p50</th><th class="num">p99</th></tr></thead>
      <tbody id="functions"><tr><td colspan="10" class="empty">loading…</td></tr></tbody>
    </table>
    <div class="legend">environments:<span class="env idle"></span>warm (idle)<span class="env busy"></span>busy<span class="env booting"></span>booting
      · p50/p99 over the last <span id="window">60</span> s</div>
  </section>
  <section>
    <h2>Recent invocations</h2>
    <table>
      <thead><tr><th>Time</th><th>Function</th><th>Type</th><th class="num">Duration</th><th>Status</th><th>Log</th></tr></thead>
      <tbody id="recent"><tr><td colspan="6" class="empty">no invocations yet</td></tr></tbody>
    </table>
  </section>
  <footer id="updated"></footer>
</main>
<script>
(() => {
  const POLL_MS = 1000;
  const $ = (id) => document.getElementById(id);
  const h = (tag, props, ...children) => {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (typeof value === 'boolean') el[key] = value;
      else el.setAttribute(key, String(value));
    }
    for (const child of children) if (child !== undefined && child !== null) el.append(child instanceof Node ? child : String(child));
    return el;
  };
  const ms = (v) => v === undefined || v === null ? '–' : v < 1 ? v.toFixed(2) + ' ms' : v < 1000 ? v.toFixed(1) + ' ms' : (v / 1000).toFixed(2) + ' s';
  const num = (v) => v === undefined || v === null ? '–' : Number(v).toLocaleString('en-US');
  const rate = (v) => v === undefined ? '–' : v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US');
  const age = (s) => s < 60 ? Math.round(s) + ' s' : s < 3600 ? Math.round(s / 60) + ' min' : (s / 3600).toFixed(1) + ' h';
  let previous;
  const history = [];
  const openLogs = new Set();

  function rates(state) {
    const out = { total: undefined, byFunction: new Map() };
    if (previous && state.now > previous.now) {
      const dt = (state.now - previous.now) / 1000;
      out.total = Math.max(0, state.totals.invocations - previous.totals.invocations) / dt;
      const before = new Map(previous.functions.map((f) => [f.name, f.invocations]));
      for (const f of state.functions) out.byFunction.set(f.name, Math.max(0, f.invocations - (before.get(f.name) ?? 0)) / dt);
    }
    return out;
  }

  function config(f) {
    const c = f.config;
    const parts = [c.memoryMB + ' MB', ms(c.timeoutMs).replace('.0 ms', ' ms').replace('.00 s', ' s') + ' timeout'];
    if (c.reservedConcurrency !== undefined) parts.push('reserved ' + c.reservedConcurrency);
    if (c.provisionedConcurrency > 0) parts.push('provisioned ' + c.provisionedConcurrency);
    if (c.kind === 'jobs') parts.push(c.jobs.length + (c.jobs.length === 1 ? ' job' : ' jobs'));
    return h('div', { class: 'config', title: c.kind === 'jobs' ? c.jobs.join('\\n') : 'plain Lambda handler' }, parts.join(' · '));
  }

  function environments(f) {
    const e = f.environments;
    const box = h('div', { class: 'envs', title: e.idle + ' warm, ' + e.busy + ' busy, ' + e.booting + ' booting; ' + e.created + ' created since start' });
    const add = (n, kind) => { for (let i = 0; i < Math.min(n, 40); i++) box.append(h('span', { class: 'env ' + kind })); };
    add(e.busy, 'busy'); add(e.idle, 'idle'); add(e.booting, 'booting');
    if (e.idle + e.busy + e.booting === 0) box.append(h('span', { class: 'badge' }, 'none warm'));
    return box;
  }

  function renderFunctions(state, r) {
    const body = $('functions');
    if (state.functions.length === 0) { body.replaceChildren(h('tr', {}, h('td', { colspan: 10, class: 'empty' }, 'no functions'))); return; }
    body.replaceChildren(...state.functions.map((f) => h('tr', { 'data-function': f.name },
      h('td', {}, h('div', { class: 'name' }, f.name), config(f)),
      h('td', { 'data-field': 'environments' }, environments(f)),
      h('td', { class: 'num', 'data-field': 'running' }, f.running + ' / ' + f.peak),
      h('td', { class: 'num', 'data-field': 'rate' }, rate(r.byFunction.get(f.name))),
      h('td', { class: 'num', 'data-field': 'invocations' }, num(f.invocations)),
      h('td', { class: 'num', 'data-field': 'errors' }, num(f.errors)),
      h('td', { class: 'num', 'data-field': 'coldStarts' }, num(f.coldStarts)),
      h('td', { class: 'num', 'data-field': 'throttles' }, num(f.throttles)),
      h('td', { class: 'num', 'data-field': 'p50' }, f.latency.count ? ms(f.latency.p50Ms) : '–'),
      h('td', { class: 'num', 'data-field': 'p99' }, f.latency.count ? ms(f.latency.p99Ms) : '–'),
    )));
  }

  function renderRecent(state) {
    const body = $('recent');
    if (state.recent.length === 0) { body.replaceChildren(h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'no invocations yet'))); return; }
    body.replaceChildren(...state.recent.map((inv) => {
      const details = h('details', { open: openLogs.has(inv.requestId) },
        h('summary', { title: inv.requestId }, h('span', { class: 'id' }, inv.requestId.slice(0, 8)), lastOutput(inv.logTail)),
        h('pre', {}, inv.logTail || '(no log)'));
      details.addEventListener('toggle', () => details.open ? openLogs.add(inv.requestId) : openLogs.delete(inv.requestId));
      return h('tr', { 'data-request-id': inv.requestId },
        h('td', { class: 'mono time' }, clock(inv.at)),
        h('td', {}, h('span', { class: 'name' }, inv.functionName), inv.job ? h('div', { class: 'config' }, inv.job) : null),
        h('td', {}, h('span', { class: 'badge' }, inv.type)),
        h('td', { class: 'num' }, ms(inv.durationMs), inv.initDurationMs !== undefined ? h('div', { class: 'config' }, 'init ' + ms(inv.initDurationMs)) : null),
        h('td', {}, inv.errorType ? h('span', { class: 'badge err' }, inv.errorType) : h('span', { class: 'badge ok' }, 'ok'),
          inv.initDurationMs !== undefined ? ' ' : null, inv.initDurationMs !== undefined ? h('span', { class: 'badge cold' }, 'cold') : null),
        h('td', {}, details));
    }));
  }

  const clock = (at) => new Date(at).toLocaleTimeString('en-GB');

  // The handler's last line of output, without Lambda's "time<TAB>id<TAB>LEVEL<TAB>" prefix.
  function lastOutput(tail) {
    const lines = (tail || '').split('\\n').filter((l) => l && !/^(START|END|REPORT) RequestId: /.test(l));
    if (lines.length === 0) return '(no output)';
    const parts = lines[lines.length - 1].split('\\t');
    return parts.length >= 4 ? parts.slice(3).join(' ') : parts.join(' ');
  }

  function sparkline(values) {
    if (values.length < 2) return;
    const max = Math.max(1, ...values);
    const points = values.map((v, i) => (i * 60 / (values.length - 1)).toFixed(1) + ',' + (27 - (v / max) * 25).toFixed(1)).join(' ');
    $('spark').firstElementChild.setAttribute('points', points);
  }

  function render(state) {
    const r = rates(state);
    const t = state.totals;
    $('meta').textContent = 'layout ' + state.layout + ' · backend ' + state.backend + ' · ' + state.functions.length + ' functions · up ' + age((state.now - state.startedAt) / 1000);
    $('graphiql').href = state.graphqlPath;
    if (r.total !== undefined) { history.push(r.total); if (history.length > 60) history.shift(); sparkline(history); }
    $('t-rate').textContent = rate(r.total);
    $('t-invocations').textContent = num(t.invocations);
    $('t-errors').textContent = num(t.errors);
    $('tile-errors').classList.toggle('bad', t.errors > 0);
    $('t-throttles').textContent = num(t.throttles) + ' throttled';
    $('t-cold').textContent = num(t.coldStarts);
    $('t-cold-pct').textContent = t.invocations ? (100 * t.coldStarts / t.invocations).toFixed(1) + ' % of invocations' : '–';
    $('t-running').textContent = num(state.concurrency.running);
    $('t-peak').textContent = 'peak ' + num(state.concurrency.peak) + ' of ' + num(state.concurrency.limit);
    $('t-queue').textContent = state.queue ? num(state.queue.queued) : '–';
    $('t-queue-age').textContent = state.queue ? (state.queue.queued ? 'oldest ' + age(state.queue.oldestQueuedAgeMs / 1000) : 'empty') + ' · ' + num(state.queue.running) + ' running' : 'no async queue';
    $('t-dlq').textContent = state.queue && state.queue.deadLetters !== undefined ? num(state.queue.deadLetters) : '–';
    $('tile-dlq').classList.toggle('bad', Boolean(state.queue && state.queue.deadLetters));
    $('window').textContent = String(Math.round(state.windowMs / 1000));
    renderFunctions(state, r);
    renderRecent(state);
    $('updated').textContent = 'updated ' + clock(state.now) + ' · every ' + POLL_MS / 1000 + ' s';
    previous = state;
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  }

  async function tick() {
    try {
      const response = await fetch('/dashboard/state', { cache: 'no-store', headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      render(await response.json());
      $('status').textContent = 'live';
      $('status').classList.remove('down');
    } catch (error) {
      $('status').textContent = 'disconnected';
      $('status').classList.add('down');
    }
    setTimeout(tick, POLL_MS);
  }
  tick();
})();
</script>
</body>
</html>
`;
