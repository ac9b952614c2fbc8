// The dashboard: hash routes, one view at a time, refreshed every
// POLL_MS while the tab is visible (polling pauses when it is hidden).
import { forgetToken, token } from './api.js';
import { overviewView } from './views/overview.js';
import { jobView } from './views/job.js';
import { taskManagersView, taskManagerView } from './views/taskmanagers.js';
import { jobManagerView } from './views/jobmanager.js';
import { submitView } from './views/submit.js';

export const POLL_MS = 1500;

const routes = [
  [/^\/overview$/, overviewView, 'overview'],
  [/^\/jobs\/([0-9a-fA-F]{32})(?:\/([a-z]+))?$/, jobView, 'overview'],
  [/^\/taskmanagers$/, taskManagersView, 'taskmanagers'],
  [/^\/taskmanagers\/([^/]+)$/, taskManagerView, 'taskmanagers'],
  [/^\/jobmanager$/, jobManagerView, 'jobmanager'],
  [/^\/submit$/, submitView, 'submit'],
];

const main = document.getElementById('main');
const banner = document.getElementById('banner');
const conn = document.getElementById('conn');
let current = null; // {factory, view}
let generation = 0;
let timer = null;
let paused = false;

function showError(e) {
  banner.hidden = !e;
  banner.textContent = e ? e.message : '';
  conn.className = e ? 'conn down' : 'conn up';
  conn.textContent = e ? 'disconnected' : 'live';
}

async function tick(gen) {
  if (gen !== generation) return;
  if (document.hidden) {
    paused = true; // resumed by visibilitychange
    return;
  }
  try {
    await current?.view.refresh?.();
    if (gen === generation) showError(null);
  } catch (e) {
    if (gen === generation) showError(e);
  }
  if (gen === generation) timer = setTimeout(() => tick(gen), POLL_MS);
}

function restartPolling() {
  clearTimeout(timer);
  paused = false;
  generation++;
  tick(generation);
}

function route() {
  if (!location.hash) history.replaceState(null, '', '#/overview');
  const path = location.hash.replace(/^#/, '') || '/overview';
  const match = routes.map(([re, factory, nav]) => [path.match(re), factory, nav]).find(([m]) => m);
  for (const a of document.querySelectorAll('[data-nav]'))
    a.classList.toggle('active', a.dataset.nav === match?.[2]);
  if (!match) {
    location.replace('#/overview');
    return;
  }
  const [m, factory] = match;
  const params = m.slice(1);
  // The same view with other parameters (a job's tabs) keeps its state.
  if (current?.factory === factory && current.view.update?.(...params)) {
    restartPolling();
    return;
  }
  current?.view.dispose?.();
  main.replaceChildren();
  banner.hidden = true;
  current = { factory, view: factory(main, ...params) };
  restartPolling();
}

window.addEventListener('hashchange', route);
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && paused) restartPolling();
});

const forget = document.getElementById('forget-token');
const showForget = () => { forget.hidden = !token(); };
document.addEventListener('spate-token', showForget);
forget.addEventListener('click', () => {
  forgetToken();
  restartPolling();
});
showForget();
route();
