// #/overview: the cluster in numbers and the list of jobs.
import { api } from '../api.js';
import { badge, fmtDuration, fmtTime, h, table } from '../dom.js';

function card(label, value, testid) {
  return h('div', { class: 'card', 'data-testid': testid },
    h('div', { class: 'card-value' }, value), h('div', { class: 'card-label' }, label));
}

export function jobTable(jobs, testid = 'job-list') {
  const rows = [...jobs].sort((a, b) => b['start-time'] - a['start-time']);
  return table([
    { title: 'Name', cell: (j) => h('a', { href: `#/jobs/${j.jid}` }, j.name) },
    { title: 'Start time', cell: (j) => fmtTime(j['start-time']) },
    { title: 'Duration', cell: (j) => fmtDuration(j.duration), cls: 'num' },
    { title: 'End time', cell: (j) => fmtTime(j['end-time']) },
    { title: 'Tasks', cell: (j) => String(Object.values(j.tasks ?? {}).reduce((a, b) => a + b, 0)), cls: 'num' },
    { title: 'Status', cell: (j) => badge(j.state) },
    { title: 'Job ID', cell: (j) => h('code', null, j.jid) },
  ], rows, { empty: 'No jobs yet: submit one with `spate run` or the Submit page.', testid,
    rowAttrs: (j) => ({ 'data-job-id': j.jid }) });
}

export function overviewView(root) {
  const cards = h('section', { class: 'cards' });
  const jobs = h('section', { class: 'panel' });
  root.append(h('h1', null, 'Cluster overview'), cards,
    h('h2', null, 'Jobs'), jobs);
  return {
    async refresh() {
      const [o, list] = await Promise.all([api('overview'), api('jobs/overview')]);
      cards.replaceChildren(
        card('Task Managers', o.taskmanagers, 'taskmanagers'),
        card('Slots available / total', `${o['slots-available']} / ${o['slots-total']}`, 'slots'),
        card('Running jobs', o['jobs-running'], 'jobs-running'),
        card('Finished jobs', o['jobs-finished'], 'jobs-finished'),
        card('Canceled jobs', o['jobs-cancelled'], 'jobs-cancelled'),
        card('Failed jobs', o['jobs-failed'], 'jobs-failed'),
        card('Version', o['flink-version'], 'version'));
      jobs.replaceChildren(jobTable(list.jobs ?? []));
    },
  };
}
