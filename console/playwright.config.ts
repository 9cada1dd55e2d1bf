// End-to-end tests of the console in Debian's headless Chromium (never a downloaded browser),
// against a live `agenfleet dev --demo`: run them with
//   AGENFLEET_DEV_DEMO=1 scripts/with-dev-server console/test
// which sets AGENFLEET_URL, AGENFLEET_DEMO_KEY (read-write) and AGENFLEET_DEMO_READ_KEY.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './e2e',
  outputDir: '../target/console/test-results',
  // One dev server, two cores: one page at a time keeps timings honest and tests independent.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env.AGENFLEET_URL,
    viewport: { width: 1280, height: 800 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
