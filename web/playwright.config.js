// The dashboard's end-to-end tests: a real JobManager and TaskManager
// (tests/cluster.js starts them from the build) and the system's Chromium
// (no browser download: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1).
import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

const chromium = process.env.SPATE_CHROMIUM ?? '/usr/bin/chromium';
if (!fs.existsSync(chromium))
  throw new Error(`${chromium} is missing: apt-get install chromium (scripts/install-deps.sh does), ` +
    'or point SPATE_CHROMIUM at a Chromium binary');
const buildDir = process.env.SPATE_BUILD_DIR ?? path.resolve(import.meta.dirname ?? '.', '..', 'build');

export default defineConfig({
  testDir: './tests',
  outputDir: path.join(buildDir, 'web-test-results'),
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: chromium,
      // Chromium's sandbox refuses to run as root (CI containers).
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    },
    viewport: { width: 1400, height: 900 },
    trace: 'off',
  },
});
