// #/jobs/:jid[/tab]: one job. The graph and the records/s chart are always
// shown; the tabs below show vertices, subtasks, watermarks, checkpoints,
// exceptions and configuration. Live figures per vertex come from Flink's
// vertex metrics (busyTimeMsPerSecond, backPressuredTimeMsPerSecond,
// numRecords{In,Out}PerSecond) and /backpressure when the JobManager has
// them, else from the records counters of GET /jobs/:jid.
import { api, metricMap } from '../api.js';
import { RateChart, TimeChart } from '../chart.js';
import { JobGraph, planEdges } from '../graph.js';
import {
  badge, facts, fmtBytes, fmtDuration, fmtNum, fmtPercent, fmtTime, h, table, TERMINAL,
} from '../dom.js';

const TABS = [
  ['overview', 'Vertices'], ['subtasks', 'Subtasks'], ['watermarks', 'Watermarks'],
  ['checkpoints', 'Checkpoints'], ['exceptions', 'Exceptions'], ['configuration', 'Configuration'],
];
const VERTEX_METRICS = ['busyTimeMsPerSecond', 'backPressuredTimeMsPerSecond',
  'numRecordsInPerSecond', 'numRecordsOutPerSecond'];
// After a 404 (a JobManager without the route) ask again only every so many polls.
const RETRY_MISSING = 10;
// Subtasks whose metrics are asked for by id (a bounded URL).
const MAX_SUBTASK_METRICS = 64;
const LONG_MIN = -9223372036854775808n;
const HISTORY_ROWS = 20;

/** The values of one metric over a vertex's subtasks ("0.name", "1.name"; else "name"). */
function values(map, name) {
  const per = Object.entries(map).filter(([k]) => k.endsWith(`.${name}`)).map(([, v]) => v);
  return per.length || map[name] === undefined ? per : [map[name]];
}

/** ?get= for a vertex: Flink's ids are per subtask ("0.busyTimeMsPerSecond"). */
function metricQuery(parallelism) {
  const ids = [...VERTEX_METRICS];
  for (let i = 0; i < Math.min(parallelism, MAX_SUBTASK_METRICS); i++)
    for (const m of VERTEX_METRICS) ids.push(`${i}.${m}`);
  return ids.join(',');
}
const sum = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) : null);
const max = (xs) => (xs.length ? Math.max(...xs) : null);

function shortName(name) {
  const first = name.split(' -> ')[0].replace(/^Source: /, '');
  return first.length > 24 ? `${first.slice(0, 23)}…` : first;
}

function fmtWatermark(value) {
  if (value == null || value === '') return '–';
  try {
    if (BigInt(value) <= LONG_MIN + 1n) return 'no watermark yet';
  } catch {
    return String(value);
  }
  const n = Number(value);
  return `${fmtTime(n)} (${n})`;
}

export function jobView(root, jid, initialTab) {
  let tab = TABS.some(([t]) => t === initialTab) ? initialTab : 'overview';
  let job = null;
  let edges = [];
  let selected = null;
  const counters = new Map(); // vid -> {t, in, out}
  const live = new Map(); // vid -> figures
  const missing = { metrics: 0, backpressure: 0, watermarks: 0 };
  let cpConfig = null;
  let jmConfig = null;

  const title = h('h1', { 'data-testid': 'job-name' });
  const state = h('span', { 'data-testid': 'job-state' });
  const summary = h('div');
  const actionMsg = h('p', { class: 'action-msg', 'data-testid': 'action-msg', 'aria-live': 'polite' });
  const dirInput = h('input', {
    type: 'text', placeholder: 'savepoint directory (default: state.savepoints.dir)',
    'data-testid': 'savepoint-dir', size: 40,
  });
  const btn = (label, testid, cls, fn) => h('button', { type: 'button', class: cls, 'data-testid': testid, onclick: fn }, label);
  const actions = h('div', { class: 'actions' },
    dirInput,
    btn('Trigger savepoint', 'trigger-savepoint', '', () => savepoint(false)),
    btn('Stop with savepoint', 'stop-job', '', () => savepoint(true)),
    btn('Cancel job', 'cancel-job', 'danger', cancel));
  const graphBox = h('div', { class: 'graph-box' });
  const chartBox = h('div', { class: 'chart-box', 'data-testid': 'rate-chart' });
  const tabNav = h('nav', { class: 'tabs' });
  const content = h('section', { class: 'panel tab-content' });
  const graph = new JobGraph(graphBox, (vid) => {
    selected = vid;
    graph.select(vid);
    if (tab !== 'subtasks') location.hash = `#/jobs/${jid}/subtasks`;
    else renderTab().catch(() => {});
  });
  const chart = new RateChart(chartBox, 'Records per second');
  // Kept across refreshes of the checkpoints tab (the tab's other nodes are made anew).
  const cpChartBox = h('div', { class: 'chart-box cp-chart', 'data-testid': 'checkpoint-chart' });
  const cpChart = new TimeChart(cpChartBox, 'Completed checkpoints: end-to-end duration and state size', {
    scales: { ms: { fmt: fmtDuration }, bytes: { fmt: fmtBytes } }, window: null, points: true,
  });

  root.append(
    h('div', { class: 'job-head' }, h('div', null, h('div', { class: 'title-row' }, title, state), summary), actions),
    actionMsg,
    h('section', { class: 'panel' }, h('h2', null, 'Job graph'), graphBox,
      h('p', { class: 'legend' },
        h('span', { class: 'swatch idle' }), 'idle ',
        h('span', { class: 'swatch busy' }), 'busy ',
        h('span', { class: 'swatch bp' }), 'back-pressured (the bar: share of time back-pressured). Click a vertex for its subtasks.')),
    h('section', { class: 'panel' }, chartBox),
    tabNav, content);

  function renderTabs() {
    tabNav.replaceChildren(...TABS.map(([t, label]) => h('a', {
      href: `#/jobs/${jid}/${t}`, class: t === tab ? 'active' : '', 'data-testid': `tab-${t}`,
    }, label)));
  }
  renderTabs();

  function say(text, cls = '') {
    actionMsg.className = `action-msg ${cls}`;
    actionMsg.textContent = text;
  }

  async function cancel() {
    if (!window.confirm(`Cancel job ${job?.name ?? jid}?`)) return;
    try {
      await api(`jobs/${jid}?mode=cancel`, { method: 'PATCH' });
      say('Cancelling…');
    } catch (e) {
      say(`Cancel failed: ${e.message}`, 'error');
    }
  }

  async function savepoint(stop) {
    if (stop && !window.confirm(`Stop job ${job?.name ?? jid} with a savepoint?`)) return;
    const dir = dirInput.value.trim();
    const body = stop ? { drain: false } : { 'cancel-job': false };
    if (dir) body[stop ? 'targetDirectory' : 'target-directory'] = dir;
    let rid;
    try {
      rid = (await api(`jobs/${jid}/${stop ? 'stop' : 'savepoints'}`, { method: 'POST', body }))['request-id'];
    } catch (e) {
      say(`${stop ? 'Stop' : 'Savepoint'} failed: ${e.message}`, 'error');
      return;
    }
    say(`${stop ? 'Stopping with a savepoint' : 'Savepoint'} in progress (request ${rid})…`);
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 500));
      let st;
      try {
        st = await api(`jobs/${jid}/savepoints/${rid}`);
      } catch (e) {
        say(`Savepoint status unknown: ${e.message}`, 'error');
        return;
      }
      if (st?.status?.id !== 'COMPLETED') continue;
      const cause = st.operation?.['failure-cause'];
      if (cause) say(`Savepoint failed: ${cause['stack-trace'] ?? cause.class}`, 'error');
      else say(`Savepoint completed: ${st.operation?.location}`, 'ok');
      return;
    }
  }

  async function vertexFigures(v, now) {
    const read = v.metrics?.['read-records'] ?? 0;
    const wrote = v.metrics?.['write-records'] ?? 0;
    const prev = counters.get(v.id);
    counters.set(v.id, { t: now, in: read, out: wrote });
    const dt = prev ? (now - prev.t) / 1000 : 0;
    const f = {
      inRate: dt > 0 ? Math.max(0, (read - prev.in) / dt) : null,
      outRate: dt > 0 ? Math.max(0, (wrote - prev.out) / dt) : null,
      busy: null, backPressured: null, level: null, subtasks: [],
    };
    const running = job.state === 'RUNNING';
    const [m, bp] = await Promise.all([
      running && missing.metrics === 0
        ? api(`jobs/${jid}/vertices/${v.id}/metrics?get=${metricQuery(v.parallelism)}`, { allow404: true })
        : null,
      running && missing.backpressure === 0
        ? api(`jobs/${jid}/vertices/${v.id}/backpressure`, { allow404: true }) : null,
    ]);
    if (m === null && running && missing.metrics === 0) missing.metrics = RETRY_MISSING;
    if (bp === null && running && missing.backpressure === 0) missing.backpressure = RETRY_MISSING;
    if (m) {
      const map = metricMap(m);
      f.inRate = sum(values(map, 'numRecordsInPerSecond')) ?? f.inRate;
      f.outRate = sum(values(map, 'numRecordsOutPerSecond')) ?? f.outRate;
      const busy = max(values(map, 'busyTimeMsPerSecond'));
      const bpt = max(values(map, 'backPressuredTimeMsPerSecond'));
      f.busy = busy == null ? null : busy / 1000;
      f.backPressured = bpt == null ? null : bpt / 1000;
    }
    if (bp && bp.status !== 'deprecated') {
      f.level = bp.backpressureLevel ?? null;
      f.subtasks = bp.subtasks ?? [];
      if (f.backPressured == null && f.subtasks.length) f.backPressured = max(f.subtasks.map((st) => st.ratio ?? 0));
      if (f.busy == null && f.subtasks.some((st) => st.busyRatio != null)) f.busy = max(f.subtasks.map((st) => st.busyRatio ?? 0));
    }
    return f;
  }

  async function refresh() {
    job = await api(`jobs/${jid}`);
    const terminal = TERMINAL.has(job.state);
    document.title = `${job.name} · spate`;
    title.textContent = job.name;
    state.replaceChildren(badge(job.state));
    state.dataset.state = job.state;
    summary.replaceChildren(facts([
      ['Job ID', h('code', null, job.jid)],
      ['Started', fmtTime(job['start-time'])],
      ['Duration', fmtDuration(job.duration)],
      job['end-time'] > 0 && ['Ended', fmtTime(job['end-time'])],
      job['status-detail'] && ['Detail', job['status-detail']],
    ]));
    for (const b of actions.querySelectorAll('button')) b.disabled = terminal;
    dirInput.disabled = terminal;

    const vertices = job.vertices ?? [];
    edges = planEdges(vertices, job.plan);
    graph.setStructure(vertices, edges);
    if (!selected || !vertices.some((v) => v.id === selected)) selected = vertices[0]?.id ?? null;
    graph.select(selected);

    const now = job.now ?? Date.now();
    const figures = await Promise.all(vertices.map((v) => vertexFigures(v, now)));
    for (const k of Object.keys(missing)) if (missing[k] > 0) missing[k]--;
    vertices.forEach((v, i) => {
      live.set(v.id, figures[i]);
      graph.update(v.id, figures[i]);
    });
    // The chart: what each source emits and what every other vertex takes in.
    const targets = new Set(edges.map((e) => e.to));
    if (!terminal && figures.some((f) => f.inRate != null || f.outRate != null)) {
      chart.push(now, vertices.map((v) => `${shortName(v.name)} ${targets.has(v.id) ? 'in' : 'out'}`),
        vertices.map((v, i) => (targets.has(v.id) ? figures[i].inRate : figures[i].outRate)));
    }
    await renderTab();
  }

  function vertexTable() {
    return table([
      { title: 'Name', cell: (v) => h('a', { href: `#/jobs/${jid}/subtasks`, onclick: () => { selected = v.id; } }, v.name) },
      { title: 'Parallelism', cell: (v) => String(v.parallelism), cls: 'num' },
      { title: 'Status', cell: (v) => badge(v.status) },
      { title: 'Records in', cell: (v) => fmtNum(v.metrics?.['read-records']), cls: 'num' },
      { title: 'Records out', cell: (v) => fmtNum(v.metrics?.['write-records']), cls: 'num' },
      { title: 'In/s', cell: (v) => fmtNum(live.get(v.id)?.inRate), cls: 'num' },
      { title: 'Out/s', cell: (v) => fmtNum(live.get(v.id)?.outRate), cls: 'num' },
      { title: 'Busy', cell: (v) => fmtPercent(live.get(v.id)?.busy), cls: 'num' },
      { title: 'Back-pressured', cell: (v) => fmtPercent(live.get(v.id)?.backPressured), cls: 'num' },
      { title: 'Level', cell: (v) => (live.get(v.id)?.level ? h('span', { class: `level level-${live.get(v.id).level}` }, live.get(v.id).level) : '–') },
      { title: 'Duration', cell: (v) => fmtDuration(v.duration), cls: 'num' },
    ], job.vertices, { testid: 'vertex-table', rowAttrs: (v) => ({ 'data-vertex-id': v.id }) });
  }

  async function subtasksTab() {
    const vertices = job.vertices ?? [];
    const picker = h('select', {
      'data-testid': 'vertex-picker',
      onchange: (ev) => { selected = ev.target.value; graph.select(selected); renderTab().catch(() => {}); },
    }, vertices.map((v) => h('option', { value: v.id, selected: v.id === selected }, v.name)));
    if (!selected) return [picker];
    const detail = await api(`jobs/${jid}/vertices/${selected}`);
    const bp = new Map((live.get(selected)?.subtasks ?? []).map((st) => [st.subtask, st]));
    return [h('label', { class: 'inline' }, 'Vertex ', picker), table([
      { title: '#', cell: (st) => String(st.subtask), cls: 'num' },
      { title: 'Status', cell: (st) => badge(st.status) },
      { title: 'Task Manager', cell: (st) => (st['taskmanager-id'] ? h('a', { href: `#/taskmanagers/${encodeURIComponent(st['taskmanager-id'])}` }, st['taskmanager-id']) : '–') },
      { title: 'Endpoint', cell: (st) => st.endpoint || '–' },
      { title: 'Records in', cell: (st) => fmtNum(st.metrics?.['read-records']), cls: 'num' },
      { title: 'Records out', cell: (st) => fmtNum(st.metrics?.['write-records']), cls: 'num' },
      { title: 'Back-pressure', cell: (st) => (bp.has(st.subtask) ? `${bp.get(st.subtask).backpressureLevel} (${fmtPercent(bp.get(st.subtask).ratio)})` : '–') },
      { title: 'Busy', cell: (st) => fmtPercent(bp.get(st.subtask)?.busyRatio), cls: 'num' },
      { title: 'Attempt', cell: (st) => String(st.attempt), cls: 'num' },
      { title: 'Duration', cell: (st) => fmtDuration(st.duration), cls: 'num' },
    ], detail.subtasks, { testid: 'subtask-table' })];
  }

  async function watermarksTab() {
    const vertices = job.vertices ?? [];
    const ask = missing.watermarks === 0;
    const answers = await Promise.all(vertices.map((v) => (ask
      ? api(`jobs/${jid}/vertices/${v.id}/watermarks`, { allow404: true }) : null)));
    if (ask && answers.every((a) => a === null)) missing.watermarks = RETRY_MISSING;
    if (answers.every((a) => a === null))
      return h('p', { class: 'empty', 'data-testid': 'watermarks' }, 'This JobManager does not report watermarks (yet).');
    return h('div', { 'data-testid': 'watermarks' }, vertices.map((v, i) => [
      h('h3', null, v.name),
      table([
        { title: 'Metric', cell: (m) => m.id },
        { title: 'Watermark', cell: (m) => fmtWatermark(m.value) },
      ], answers[i] ?? [], { empty: 'No watermarks.' }),
    ]));
  }

  async function checkpointsTab() {
    const [cp, conf] = await Promise.all([
      api(`jobs/${jid}/checkpoints`),
      cpConfig ? cpConfig : api(`jobs/${jid}/checkpoints/config`, { allow404: true }),
    ]);
    cpConfig = conf;
    const c = cp.counts ?? {};
    const latest = cp.latest?.completed;
    const e2e = cp.summary?.end_to_end_duration;
    const size = cp.summary?.state_size;
    // The completed ones over time, by trigger time (the history is newest first).
    const done = (cp.history ?? []).filter((x) => x.status === 'COMPLETED' && x.trigger_timestamp > 0)
      .sort((a, b) => a.trigger_timestamp - b.trigger_timestamp);
    cpChart.set(done.map((x) => x.trigger_timestamp),
      [{ label: 'End-to-end duration', scale: 'ms' }, { label: 'State size', scale: 'bytes' }],
      [done.map((x) => x.end_to_end_duration ?? null), done.map((x) => x.state_size ?? null)]);
    cpChartBox.dataset.ids = done.map((x) => x.id).join(',');
    const restored = cp.latest?.restored;
    return [
      h('div', { class: 'cards small', 'data-testid': 'checkpoint-counts' },
        [['Completed', c.completed, 'cp-completed'], ['In progress', c.in_progress], ['Failed', c.failed],
          ['Restored', c.restored], ['Total', c.total]].map(([k, v, id]) => h('div', { class: 'card', 'data-testid': id },
          h('div', { class: 'card-value' }, String(v ?? 0)), h('div', { class: 'card-label' }, k)))),
      h('h3', null, 'Latest completed'),
      latest ? facts([
        ['ID', String(latest.id)], ['Type', latest.checkpoint_type],
        ['Completed', fmtTime(latest.latest_ack_timestamp)],
        ['End-to-end duration', fmtDuration(latest.end_to_end_duration)],
        ['State size', fmtBytes(latest.state_size)], ['Path', h('code', null, latest.external_path ?? '–')],
      ], 'cp-latest') : h('p', { class: 'empty' }, 'None yet.'),
      h('h3', null, 'Latest restore'),
      restored ? facts([
        ['ID', String(restored.id)], ['Restored', fmtTime(restored.restore_timestamp)],
        ['Savepoint', restored.is_savepoint ? 'yes' : 'no'],
        ['Path', h('code', null, restored.external_path || '–')],
      ], 'cp-restored') : h('p', { class: 'empty', 'data-testid': 'cp-restored' }, 'None'),
      cp.latest?.failed && [h('h3', null, 'Latest failed'), facts([
        ['ID', String(cp.latest.failed.id)], ['Failed', fmtTime(cp.latest.failed.failure_timestamp)],
        ['Cause', cp.latest.failed.failure_message ?? '–'],
      ])],
      e2e && h('p', { class: 'muted' },
        `End-to-end duration min/avg/max: ${fmtDuration(e2e.min)} / ${fmtDuration(e2e.avg)} / ${fmtDuration(e2e.max)}; ` +
        `state size min/avg/max: ${fmtBytes(size?.min)} / ${fmtBytes(size?.avg)} / ${fmtBytes(size?.max)}`),
      done.length ? cpChartBox : h('p', { class: 'empty' }, 'No completed checkpoints to chart yet.'),
      h('h3', null, `History${(cp.history?.length ?? 0) > HISTORY_ROWS ? ` (latest ${HISTORY_ROWS} of ${cp.history.length})` : ''}`),
      table([
        { title: 'ID', cell: (x) => String(x.id), cls: 'num' },
        { title: 'Status', cell: (x) => badge(x.status) },
        { title: 'Type', cell: (x) => x.checkpoint_type ?? (x.is_savepoint ? 'SAVEPOINT' : 'CHECKPOINT') },
        { title: 'Triggered', cell: (x) => fmtTime(x.trigger_timestamp) },
        { title: 'Duration', cell: (x) => fmtDuration(x.end_to_end_duration), cls: 'num' },
        { title: 'State size', cell: (x) => fmtBytes(x.state_size), cls: 'num' },
        { title: 'Acknowledged', cell: (x) => `${x.num_acknowledged_subtasks}/${x.num_subtasks}`, cls: 'num' },
      ], (cp.history ?? []).slice(0, HISTORY_ROWS), { empty: 'No checkpoints yet.', testid: 'checkpoint-history' }),
      conf && [h('h3', null, 'Configuration'), facts([
        ['Mode', conf.mode], ['Interval', fmtDuration(conf.interval)], ['Timeout', fmtDuration(conf.timeout)],
        ['Min pause', fmtDuration(conf.min_pause)], ['Retained', String(conf.num_retained ?? '–')],
        ['Tolerable failures', String(conf.tolerable_failed_checkpoints ?? '–')],
        ['State backend', conf.state_backend], ['Directory', h('code', null, conf.checkpoints_dir ?? '–')],
      ])],
    ];
  }

  async function exceptionsTab() {
    const ex = await api(`jobs/${jid}/exceptions`);
    const entries = ex.exceptionHistory?.entries ?? [];
    if (!ex['root-exception'] && entries.length === 0)
      return h('p', { class: 'empty', 'data-testid': 'exceptions' }, 'No exceptions.');
    return h('div', { 'data-testid': 'exceptions' },
      ex['root-exception'] && [h('h3', null, `Root exception (${fmtTime(ex.timestamp)})`), h('pre', null, ex['root-exception'])],
      h('h3', null, 'History'),
      entries.map((e) => h('details', null,
        h('summary', null, `${fmtTime(e.timestamp)} · ${e.exceptionName}${e.taskName ? ` · ${e.taskName}` : ''}`),
        h('pre', null, e.stacktrace))));
  }

  async function configurationTab() {
    if (!jmConfig) jmConfig = await api('jobmanager/config');
    if (!cpConfig) cpConfig = await api(`jobs/${jid}/checkpoints/config`, { allow404: true });
    return [
      facts([
        ['Name', job.name], ['Job ID', h('code', null, job.jid)], ['Type', job['job-type']],
        ['Max parallelism', String(job.maxParallelism)],
        ['Vertices', String(job.vertices?.length ?? 0)],
        cpConfig && ['Checkpoint interval', fmtDuration(cpConfig.interval)],
        cpConfig && ['Checkpointing mode', cpConfig.mode],
      ], 'job-config'),
      h('h3', null, 'Cluster configuration'),
      table([{ title: 'Key', cell: (e) => h('code', null, e.key) }, { title: 'Value', cell: (e) => e.value }],
        jmConfig, { testid: 'jm-config' }),
    ];
  }

  async function renderTab() {
    if (!job) return;
    const render = {
      overview: async () => vertexTable(),
      subtasks: subtasksTab,
      watermarks: watermarksTab,
      checkpoints: checkpointsTab,
      exceptions: exceptionsTab,
      configuration: configurationTab,
    }[tab];
    const shown = tab;
    const nodes = await render();
    // Keep an open <details> open and the scroll position across refreshes.
    const open = [...content.querySelectorAll('details[open] > summary')].map((x) => x.textContent);
    if (shown !== tab) return;
    content.replaceChildren(...[nodes].flat(Infinity).filter((x) => x != null && x !== false));
    for (const d of content.querySelectorAll('details'))
      if (open.includes(d.querySelector('summary')?.textContent)) d.open = true;
  }

  return {
    refresh,
    update(otherJid, otherTab) {
      if (otherJid !== jid) return false;
      tab = TABS.some(([t]) => t === otherTab) ? otherTab : 'overview';
      renderTabs();
      content.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
      return true;
    },
    dispose() {
      chart.dispose();
      cpChart.dispose();
    },
  };
}
