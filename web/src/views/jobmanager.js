// #/jobmanager: the JobManager's metrics and configuration.
import { api, metricMap } from '../api.js';
import { h, table } from '../dom.js';
import { fmtMetric } from './taskmanagers.js';

export function jobManagerView(root) {
  const metrics = h('section', { class: 'panel' });
  const config = h('section', { class: 'panel' });
  root.append(h('h1', null, 'Job Manager'), h('h2', null, 'Metrics'), metrics,
    h('h2', null, 'Configuration'), config);
  let names = null;
  let configShown = false;
  return {
    async refresh() {
      if (!names) names = ((await api('jobmanager/metrics')) ?? []).map((x) => x.id);
      const values = names.length
        ? metricMap(await api(`jobmanager/metrics?get=${names.map(encodeURIComponent).join(',')}`)) : {};
      metrics.replaceChildren(table([
        { title: 'Metric', cell: (k) => h('code', null, k) },
        { title: 'Value', cell: (k) => fmtMetric(k, values[k]), cls: 'num' },
      ], Object.keys(values).sort(), { testid: 'jm-metrics' }));
      if (!configShown) {
        const entries = await api('jobmanager/config');
        config.replaceChildren(table([
          { title: 'Key', cell: (e) => h('code', null, e.key) },
          { title: 'Value', cell: (e) => e.value },
        ], entries, { testid: 'jm-config' }));
        configShown = true;
      }
    },
  };
}
