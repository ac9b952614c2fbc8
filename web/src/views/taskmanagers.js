// #/taskmanagers (the list, with each one's process metrics) and
// #/taskmanagers/:id (all its metrics).
import { api, metricMap } from '../api.js';
import { facts, fmtBytes, fmtNum, fmtPercent, fmtTime, h, table } from '../dom.js';
import { RateChart } from '../chart.js';

const PROCESS = ['Status.Process.CPU.Load', 'Status.Process.Memory.RSS',
  'Status.Process.Threads.Count', 'Status.Process.FileDescriptors.Open'];

/** A metric's value for people: bytes, ratios and counts. */
export function fmtMetric(id, v) {
  if (v == null) return '–';
  if (/Memory|Bytes|Size/i.test(id)) return fmtBytes(v);
  if (/Load$|Ratio$/i.test(id)) return fmtPercent(v);
  return fmtNum(v, 2);
}

function heartbeat(tm) {
  // Flink's field holds the time of the last heartbeat.
  const t = tm.timeSinceLastHeartbeat;
  return t > 1e12 ? fmtTime(t) : `${t} ms ago`;
}

export function taskManagersView(root) {
  const list = h('section', { class: 'panel' });
  root.append(h('h1', null, 'Task Managers'), list);
  return {
    async refresh() {
      const { taskmanagers = [] } = await api('taskmanagers');
      const metrics = await Promise.all(taskmanagers.map((tm) =>
        api(`taskmanagers/${encodeURIComponent(tm.id)}/metrics?get=${PROCESS.join(',')}`, { allow404: true })
          .then(metricMap)));
      const m = new Map(taskmanagers.map((tm, i) => [tm.id, metrics[i]]));
      list.replaceChildren(table([
        { title: 'ID', cell: (tm) => h('a', { href: `#/taskmanagers/${encodeURIComponent(tm.id)}` }, tm.id) },
        { title: 'Host', cell: (tm) => tm.host ?? '–' },
        { title: 'Address', cell: (tm) => h('code', null, tm.path) },
        { title: 'PID', cell: (tm) => String(tm.pid ?? '–'), cls: 'num' },
        { title: 'Slots (free/total)', cell: (tm) => `${tm.freeSlots} / ${tm.slotsNumber}`, cls: 'num' },
        { title: 'CPU cores', cell: (tm) => String(tm.hardware?.cpuCores ?? '–'), cls: 'num' },
        { title: 'CPU load', cell: (tm) => fmtMetric('Load', m.get(tm.id)['Status.Process.CPU.Load']), cls: 'num' },
        { title: 'RSS', cell: (tm) => fmtBytes(m.get(tm.id)['Status.Process.Memory.RSS']), cls: 'num' },
        { title: 'Threads', cell: (tm) => fmtNum(m.get(tm.id)['Status.Process.Threads.Count']), cls: 'num' },
        { title: 'Last heartbeat', cell: heartbeat },
      ], taskmanagers, { empty: 'No TaskManager has registered.', testid: 'tm-table',
        rowAttrs: (tm) => ({ 'data-tm-id': tm.id }) }));
    },
  };
}

export function taskManagerView(root, encodedId) {
  const id = decodeURIComponent(encodedId);
  const info = h('section', { class: 'panel' });
  const chartBox = h('div', { class: 'chart-box' });
  const metrics = h('section', { class: 'panel' });
  root.append(h('h1', null, 'Task Manager ', h('code', null, id)), info,
    h('section', { class: 'panel' }, chartBox), h('h2', null, 'Metrics'), metrics);
  const chart = new RateChart(chartBox, 'CPU load (%)', { unit: '%' });
  let names = null;
  return {
    async refresh() {
      const { taskmanagers = [] } = await api('taskmanagers');
      const tm = taskmanagers.find((t) => t.id === id);
      if (!tm) {
        info.replaceChildren(h('p', { class: 'empty' }, 'This TaskManager is not registered (any more).'));
        return;
      }
      info.replaceChildren(facts([
        ['Host', tm.host], ['Address', h('code', null, tm.path)], ['PID', String(tm.pid)],
        ['Slots', `${tm.freeSlots} free of ${tm.slotsNumber}`], ['CPU cores', String(tm.hardware?.cpuCores)],
        ['Last heartbeat', heartbeat(tm)],
      ], 'tm-info'));
      const base = `taskmanagers/${encodeURIComponent(id)}/metrics`;
      if (!names) names = ((await api(base, { allow404: true })) ?? []).map((x) => x.id);
      const values = names.length ? metricMap(await api(`${base}?get=${names.map(encodeURIComponent).join(',')}`)) : {};
      const load = values['Status.Process.CPU.Load'];
      if (load != null) chart.push(Date.now(), ['CPU load'], [load * 100]);
      metrics.replaceChildren(table([
        { title: 'Metric', cell: (k) => h('code', null, k) },
        { title: 'Value', cell: (k) => fmtMetric(k, values[k]), cls: 'num' },
      ], Object.keys(values).sort(), { testid: 'tm-metrics', empty: 'No metrics.' }));
    },
    dispose() { chart.dispose(); },
  };
}
