// #/submit: POST /jobs with a registered job's name (or a job library the
// JobManager's rest.submit.library-dir allows), its input and output SPECs,
// parallelism, arguments and configuration.
import { api } from '../api.js';
import { h } from '../dom.js';

function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', null, label), input, hint && h('small', null, hint));
}

export function submitView(root) {
  const job = h('input', { name: 'job', required: true, placeholder: 'wordcount', 'data-testid': 'submit-job' });
  const library = h('input', { name: 'library', placeholder: '/opt/spate/jobs/libmyjobs.so' });
  const input = h('input', { name: 'input', placeholder: 'generator:rate=1000' });
  const output = h('input', { name: 'output', placeholder: 'discard' });
  const parallelism = h('input', { name: 'parallelism', type: 'number', min: 1, placeholder: 'cluster default' });
  const args = h('input', { name: 'args', placeholder: '--keys 1000' });
  const config = h('textarea', { name: 'config', rows: 4, placeholder: 'execution.checkpointing.interval=10s' });
  const savepoint = h('input', { name: 'savepoint', placeholder: 'restore from this savepoint (optional)' });
  const allow = h('input', { type: 'checkbox', name: 'allowNonRestoredState' });
  const msg = h('p', { class: 'action-msg', 'aria-live': 'polite' });
  const form = h('form', { class: 'panel submit-form' },
    field('Job', job, 'the name of a registered job (`spate jobs` lists them)'),
    field('Job library', library, 'optional: a shared library under rest.submit.library-dir'),
    field('Input', input, 'optional SPEC: generator:…, file:…, socket:…, kafka:…'),
    field('Output', output, 'optional SPEC: print, discard, file:…, kafka:…'),
    field('Parallelism', parallelism),
    field('Program arguments', args, 'split at spaces'),
    field('Configuration', config, 'key=value, one per line'),
    field('Savepoint path', savepoint),
    h('label', { class: 'inline' }, allow, ' Allow non-restored state'),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Submit')),
    msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { job: job.value.trim() };
    if (library.value.trim()) body.library = library.value.trim();
    if (input.value.trim()) body.input = input.value.trim();
    if (output.value.trim()) body.output = output.value.trim();
    if (parallelism.value) body.parallelism = Number(parallelism.value);
    if (args.value.trim()) body.programArgsList = args.value.trim().split(/\s+/);
    const conf = {};
    for (const line of config.value.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) conf[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
    if (Object.keys(conf).length) body.config = conf;
    if (savepoint.value.trim()) body.savepointPath = savepoint.value.trim();
    if (allow.checked) body.allowNonRestoredState = true;
    msg.className = 'action-msg';
    msg.textContent = 'Submitting…';
    try {
      const { jobid } = await api('jobs', { method: 'POST', body });
      location.hash = `#/jobs/${jobid}`;
    } catch (e) {
      msg.className = 'action-msg error';
      msg.textContent = `Submission failed: ${e.message}`;
    }
  });
  root.append(h('h1', null, 'Submit a job'), form);
  return {};
}
