// The JobManager's REST API, from the page it served: paths are relative to
// the page (so a reverse proxy may mount it under a prefix). When the server
// requires a bearer token (rest.auth.token-file), a 401 opens the token
// dialog; the token is kept in sessionStorage (this tab only) and every call
// waiting for it is retried.

const TOKEN_KEY = 'spate.rest.token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  document.dispatchEvent(new CustomEvent('spate-token'));
}

let asking = null;

/** Shows the token dialog once, however many calls were refused. */
function askToken(previousWasWrong) {
  if (asking) return asking;
  const dialog = document.getElementById('token-dialog');
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  const error = document.getElementById('token-error');
  error.hidden = !previousWasWrong;
  error.textContent = previousWasWrong ? 'The JobManager did not accept that token.' : '';
  asking = new Promise((resolve) => {
    const done = (ev) => {
      ev.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      input.value = '';
      form.removeEventListener('submit', done);
      dialog.removeEventListener('cancel', keepOpen);
      dialog.close();
      asking = null;
      document.dispatchEvent(new CustomEvent('spate-token'));
      resolve();
    };
    const keepOpen = (ev) => ev.preventDefault(); // Escape: nothing works without it
    form.addEventListener('submit', done);
    dialog.addEventListener('cancel', keepOpen);
  });
  if (!dialog.open) dialog.showModal();
  input.focus();
  return asking;
}

/**
 * Calls the API; resolves to the parsed JSON answer. `allow404`: resolves to
 * null on 404 (routes an older JobManager lacks). Throws ApiError otherwise.
 */
export async function api(path, { method = 'GET', body, allow404 = false } = {}) {
  for (;;) {
    const headers = { Accept: 'application/json' };
    const sent = token();
    if (sent) headers.Authorization = `Bearer ${sent}`;
    // The REST API takes only JSON for requests that change something.
    if (method !== 'GET') headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        // A body always (`{}`): without one Chrome sends no Content-Length.
        body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      throw new ApiError(0, `Cannot reach the JobManager (${e.message})`);
    }
    if (res.status === 401) {
      if (sent && token() === sent) sessionStorage.removeItem(TOKEN_KEY);
      await askToken(Boolean(sent));
      continue;
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (res.ok) return data;
    if (res.status === 404 && allow404) return null;
    const message = Array.isArray(data?.errors) ? data.errors.join('; ') : `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message);
  }
}

/** Flink's metric answer [{id, value}] as {id: number}. */
export function metricMap(list) {
  const out = {};
  for (const m of list ?? []) {
    const v = Number(m.value);
    if (m.value !== undefined && !Number.isNaN(v)) out[m.id] = v;
  }
  return out;
}
