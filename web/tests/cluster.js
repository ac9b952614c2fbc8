// A JobManager and a TaskManager of the build (SPATE_BIN, else ../build/bin)
// on free ports of 127.0.0.1 with a cluster secret in a temporary
// directory, as test/support/cluster.hpp starts them for the C++ suites.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const here = import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname);
export const buildDir = process.env.SPATE_BUILD_DIR ?? path.resolve(here, '..', '..', 'build');
const spateBin = path.join(process.env.SPATE_BIN ?? path.join(buildDir, 'bin'), 'spate');

const live = new Set();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor(what, fn, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class Cluster {
  /** `token`: the REST API requires it (rest.auth.token-file). */
  static async start({ token = null, extra = [] } = {}) {
    if (!fs.existsSync(spateBin)) throw new Error(`${spateBin} is missing: build spate first`);
    const c = new Cluster();
    c.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spate-web-'));
    c.token = token;
    c.restPort = await freePort();
    const rpcPort = await freePort();
    const secret = path.join(c.dir, 'cluster.secret');
    execFileSync(spateBin, ['keys', 'secret', secret], { stdio: 'ignore' });
    const opts = [
      `rest.port=${c.restPort}`, `jobmanager.rpc.port=${rpcPort}`,
      'heartbeat.interval=100ms', 'heartbeat.timeout=2s', 'taskmanager.numberOfTaskSlots=4',
      `security.cluster-secret-file=${secret}`,
      `state.backend.rocksdb.localdir=${c.dir}/state`, `state.checkpoints.dir=${c.dir}/checkpoints`,
      `state.savepoints.dir=${c.dir}/savepoints`, 'execution.checkpointing.interval=300ms',
      // What the REST API may name (docs/security.md): anything under the test's directory.
      `rest.submit.allowed-paths=${c.dir}`,
      ...extra,
    ];
    if (token) {
      const file = path.join(c.dir, 'rest-token');
      fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
      opts.push(`rest.auth.token-file=${file}`);
    }
    c.options = opts.flatMap((o) => ['-D', o]);
    c.url = `http://127.0.0.1:${c.restPort}/`;
    c.jm = c.spawn('jobmanager');
    c.tm = c.spawn('taskmanager');
    await waitFor('the TaskManager to register', async () => (await c.rest('overview')).taskmanagers === 1);
    return c;
  }

  spawn(role) {
    const log = fs.openSync(path.join(this.dir, `${role}.log`), 'a');
    const p = spawn(spateBin, [role, ...this.options], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    live.add(p);
    p.on('exit', () => live.delete(p));
    return p;
  }

  log(role) {
    try {
      return fs.readFileSync(path.join(this.dir, `${role}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  /** A REST call as a client with the token makes it; the parsed answer. */
  async rest(p, { method = 'GET', body } = {}) {
    const headers = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (method !== 'GET') headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.url}${p}`, { method, headers, body: body && JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} /${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Submits wordcount on a generator (runs until cancelled); its job id. */
  async submit(extra = {}) {
    const { jobid } = await this.rest('jobs', {
      method: 'POST',
      body: { job: 'wordcount', input: 'generator:rate=3000', output: 'discard', parallelism: 2, ...extra },
    });
    await waitFor(`job ${jobid} to run`, async () => (await this.rest(`jobs/${jobid}`)).state === 'RUNNING');
    return jobid;
  }

  async state(jobid) {
    return (await this.rest(`jobs/${jobid}`)).state;
  }

  async stop() {
    const procs = [this.tm, this.jm].filter((p) => p && p.exitCode === null && p.signalCode === null);
    await Promise.all(procs.map((p) => new Promise((resolve) => {
      const kill = setTimeout(() => p.kill('SIGKILL'), 5000);
      p.once('exit', () => { clearTimeout(kill); resolve(); });
      p.kill('SIGTERM');
    })));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
