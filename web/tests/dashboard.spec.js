// The dashboard against a real cluster: what it shows, what its buttons do,
// how it is served, and how it asks for the REST token.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { buildDir, Cluster } from './cluster.js';

const shots = process.env.SPATE_WEB_SCREENSHOTS ?? path.join(buildDir, 'web-screenshots');
fs.mkdirSync(shots, { recursive: true });

const cardValue = (page, id) => page.getByTestId(id).locator('.card-value');

test.describe('a cluster without a token', () => {
  test.describe.configure({ mode: 'serial' });
  let cluster;
  let jobId;

  test.beforeAll(async () => {
    cluster = await Cluster.start();
    jobId = await cluster.submit();
  });
  test.afterAll(async () => {
    await cluster?.stop();
  });
  test.afterEach(async ({}, info) => {
    if (info.status !== info.expectedStatus) console.log(cluster?.log('jobmanager').slice(-4000));
  });

  test('the overview shows the TaskManager and the running job', async ({ page }) => {
    await page.goto(cluster.url);
    await expect(page).toHaveURL(/#\/overview$/);
    await expect(cardValue(page, 'taskmanagers')).toHaveText('1');
    await expect(cardValue(page, 'slots')).toHaveText('2 / 4');
    await expect(cardValue(page, 'jobs-running')).toHaveText('1');
    const row = page.locator(`[data-testid=job-list] tr[data-job-id="${jobId}"]`);
    await expect(row).toContainText('wordcount');
    await expect(row).toContainText('RUNNING');
    await page.screenshot({ path: path.join(shots, 'overview.png'), fullPage: true });

    // The Task Managers page lists it with its process metrics.
    const tms = (await cluster.rest('taskmanagers')).taskmanagers;
    await page.getByRole('link', { name: 'Task Managers' }).click();
    const tmRow = page.locator(`[data-testid=tm-table] tr[data-tm-id="${tms[0].id}"]`);
    await expect(tmRow).toContainText('2 / 4');
    await expect(tmRow).toContainText(/MiB|GiB/);
    await tmRow.getByRole('link').click();
    await expect(page.getByTestId('tm-metrics')).toContainText('Status.Process.Memory.RSS');
  });

  test('the job page draws the graph, the records/s chart, subtasks and checkpoints', async ({ page }) => {
    // No script errors, no CSP violations (404s of routes a JobManager lacks are tolerated).
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push(m.text());
    });
    const job = await cluster.rest(`jobs/${jobId}`);
    expect(job.vertices.length).toBeGreaterThanOrEqual(2);
    await page.goto(`${cluster.url}#/jobs/${jobId}`);
    await expect(page.getByTestId('job-name')).toHaveText('wordcount');
    await expect(page.getByTestId('job-state')).toHaveAttribute('data-state', 'RUNNING');

    // One SVG node per vertex, named after it, and the edges between them.
    const graph = page.locator('svg[data-testid=job-graph]');
    await expect(graph.locator('g.vertex')).toHaveCount(job.vertices.length);
    for (const v of job.vertices) {
      const node = graph.locator(`g.vertex[data-vertex-id="${v.id}"]`);
      await expect(node).toHaveAttribute('data-name', v.name);
      await expect(node.locator('title')).toHaveText(v.name);
      await expect(node.locator('text.vertex-par')).toHaveText(`×${v.parallelism}`);
    }
    // The edges are the plan's inputs, each labelled with its partitioning:
    // wordcount's counts are keyed by word, so one edge is HASH.
    const inputs = job.plan.nodes.flatMap((n) => (n.inputs ?? []).map((i) => ({ ...i, to: n.id })));
    expect(inputs.map((i) => i.ship_strategy)).toContain('HASH');
    await expect(graph.locator('path.edge')).toHaveCount(inputs.length);
    await expect(graph.locator('g.edge-label')).toHaveCount(inputs.length);
    for (const i of inputs) {
      await expect(graph.locator(`path.edge[data-from="${i.id}"][data-to="${i.to}"]`))
        .toHaveAttribute('data-ship-strategy', i.ship_strategy);
      await expect(graph.locator(`g.edge-label[data-from="${i.id}"][data-to="${i.to}"] text`)).toHaveText(i.ship_strategy);
    }
    await expect(graph.locator('g.edge-label text', { hasText: /^HASH$/ }).first()).toBeVisible();
    // Records flow: the source's vertex shows a rate above zero.
    const source = graph.locator(`g.vertex[data-vertex-id="${job.vertices[0].id}"]`);
    await expect.poll(async () => Number(await source.getAttribute('data-out-rate'))).toBeGreaterThan(0);
    // Busy and back-pressure from Flink's vertex metrics, when this JobManager has them.
    const probe = await fetch(`${cluster.url}jobs/${jobId}/vertices/${job.vertices[0].id}/metrics?get=0.busyTimeMsPerSecond`);
    if (probe.ok && (await probe.json()).length > 0)
      await expect(source.locator('text.vertex-load')).toHaveText(/^busy \d+% · back-pressure \d+%$/);

    // The chart gets points, and records/s above zero.
    const chart = page.getByTestId('rate-chart');
    await expect(chart.locator('canvas')).toHaveCount(1);
    await expect.poll(async () => Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(3);
    await expect.poll(async () => Number(await chart.getAttribute('data-last'))).toBeGreaterThan(0);
    await expect(page.getByTestId('vertex-table').locator('tbody tr')).toHaveCount(job.vertices.length);
    await page.screenshot({ path: path.join(shots, 'job.png'), fullPage: true });

    // Clicking a vertex shows its subtasks.
    await source.click();
    await expect(page).toHaveURL(/\/subtasks$/);
    await expect(page.getByTestId('subtask-table').locator('tbody tr')).toHaveCount(job.vertices[0].parallelism);

    // Checkpoints: counts, latest and history as GET /jobs/:id/checkpoints has them.
    await page.getByTestId('tab-checkpoints').click();
    await expect.poll(async () => Number(await cardValue(page, 'cp-completed').textContent())).toBeGreaterThan(0);
    await expect(page.getByTestId('checkpoint-history').locator('tbody tr').first()).toContainText('COMPLETED');
    await expect(page.getByTestId('cp-latest')).toContainText(path.join(cluster.dir, 'checkpoints'));
    // Their durations over time: one point per completed checkpoint.
    const cpChart = page.getByTestId('checkpoint-chart');
    await expect(cpChart.locator('canvas')).toHaveCount(1);
    await expect.poll(async () => Number(await cpChart.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
    // A job submitted without a savepoint was never restored.
    await expect(page.getByTestId('cp-restored')).toHaveText('None');
    await page.screenshot({ path: path.join(shots, 'job-checkpoints.png'), fullPage: true });

    await page.getByTestId('tab-exceptions').click();
    await expect(page.getByTestId('exceptions')).toHaveText('No exceptions.');
    await page.getByTestId('tab-watermarks').click();
    await expect(page.getByTestId('watermarks')).toBeVisible();
    await page.getByTestId('tab-configuration').click();
    await expect(page.getByTestId('jm-config')).toContainText(`${cluster.restPort}`);
    expect(problems).toEqual([]);
  });

  test('a savepoint and cancelling from the buttons', async ({ page }) => {
    page.on('dialog', (d) => d.accept());
    await page.goto(`${cluster.url}#/jobs/${jobId}`);
    await expect(page.getByTestId('job-state')).toHaveAttribute('data-state', 'RUNNING');
    await page.getByTestId('trigger-savepoint').click();
    await expect(page.getByTestId('action-msg')).toContainText('Savepoint completed', { timeout: 30_000 });
    await expect(page.getByTestId('action-msg')).toContainText(path.join(cluster.dir, 'savepoints'));

    await page.getByTestId('cancel-job').click();
    await expect.poll(() => cluster.state(jobId)).toBe('CANCELED');
    await expect(page.getByTestId('job-state')).toHaveAttribute('data-state', 'CANCELED');
    await expect(page.getByTestId('cancel-job')).toBeDisabled();
  });

  test('the submit form starts a job, and stop with savepoint ends it', async ({ page }) => {
    page.on('dialog', (d) => d.accept());
    await page.goto(`${cluster.url}#/submit`);
    await page.getByTestId('submit-job').fill('wordcount');
    await page.locator('input[name=input]').fill('generator:rate=500');
    await page.locator('input[name=output]').fill('discard');
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect(page).toHaveURL(/#\/jobs\/[0-9a-f]{32}$/);
    const id = page.url().match(/[0-9a-f]{32}$/)[0];
    await expect(page.getByTestId('job-state')).toHaveAttribute('data-state', 'RUNNING');
    await page.getByTestId('savepoint-dir').fill(path.join(cluster.dir, 'stopped'));
    await page.getByTestId('stop-job').click();
    await expect(page.getByTestId('action-msg')).toContainText('Savepoint completed', { timeout: 30_000 });
    await expect(page.getByTestId('action-msg')).toContainText(path.join(cluster.dir, 'stopped'));
    await expect.poll(() => cluster.state(id)).toBe('FINISHED');
    await expect(page.getByTestId('job-state')).toHaveAttribute('data-state', 'FINISHED');
  });

  test('files are served with their types, caching and CSP; unknown ones are 404', async ({ request }) => {
    const index = await request.get(cluster.url);
    expect(index.status()).toBe(200);
    const h = index.headers();
    expect(h['content-type']).toBe('text/html; charset=utf-8');
    expect(h['cache-control']).toBe('no-cache');
    expect(h['content-security-policy']).toContain("script-src 'self'");
    expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h.etag).toMatch(/^"[0-9a-f]+"$/);
    const again = await request.get(cluster.url, { headers: { 'If-None-Match': h.etag } });
    expect(again.status()).toBe(304);

    const html = await index.text();
    const css = html.match(/web\/vendor\/[0-9a-f]+\/uPlot\.min\.css/)[0];
    const vendor = await request.get(`${cluster.url}${css}`);
    expect(vendor.status()).toBe(200);
    expect(vendor.headers()['content-type']).toBe('text/css; charset=utf-8');
    expect(vendor.headers()['cache-control']).toContain('immutable');
    const app = await request.get(`${cluster.url}web/app.js`);
    expect(app.headers()['content-type']).toBe('text/javascript; charset=utf-8');

    for (const p of ['web/nope.js', 'web/', 'web/..%2f..%2fetc%2fpasswd', 'web/%2e%2e/CMakeLists.txt']) {
      const r = await request.get(`${cluster.url}${p}`);
      expect(r.status(), p).toBe(404);
    }
    expect((await request.post(cluster.url, { data: {} })).status()).toBe(405);
  });
});

test.describe('a cluster with a REST token', () => {
  const token = 'web-dashboard-test-token-0123456789';
  let cluster;

  test.beforeAll(async () => {
    cluster = await Cluster.start({ token });
  });
  test.afterAll(async () => {
    await cluster?.stop();
  });

  test('the page asks for the token, keeps it in the tab and then works', async ({ page, request }) => {
    // The page loads without the token; the API refuses without it.
    expect((await request.get(cluster.url)).status()).toBe(200);
    expect((await request.get(`${cluster.url}overview`)).status()).toBe(401);

    await page.goto(cluster.url);
    const dialog = page.locator('#token-dialog');
    await expect(dialog).toBeVisible();
    await page.locator('#token-input').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Use token' }).click();
    await expect(page.locator('#token-error')).toBeVisible();
    await page.locator('#token-input').fill(token);
    await page.getByRole('button', { name: 'Use token' }).click();
    await expect(dialog).toBeHidden();
    await expect(cardValue(page, 'taskmanagers')).toHaveText('1');
    expect(await page.evaluate(() => sessionStorage.getItem('spate.rest.token'))).toBe(token);

    // Changing things works too: a job submitted and cancelled from the page.
    const jobId = await cluster.submit();
    page.on('dialog', (d) => d.accept());
    await page.goto(`${cluster.url}#/jobs/${jobId}`);
    await expect(page.locator('svg[data-testid=job-graph] g.vertex').first()).toBeVisible();
    await page.getByTestId('cancel-job').click();
    await expect.poll(() => cluster.state(jobId)).toBe('CANCELED');

    // Forgetting the token asks again.
    await page.getByRole('button', { name: 'Forget token' }).click();
    await expect(dialog).toBeVisible();
  });
});
