// Lighthouse on a console page as a signed-in user sees it, in Debian's Chromium:
//   AGENFLEET_URL=… AGENFLEET_DEMO_KEY=… node console/perf/lighthouse.mjs [path] [--desktop]
// (path defaults to /console/, the fleet page). The key is put in sessionStorage before the
// page's scripts run, as the sign-in page would; Lighthouse keeps storage between its passes.
// Prints the four category scores and writes the full report to target/console/lighthouse-*.html.
import { mkdirSync, writeFileSync } from 'node:fs';
import lighthouse, { desktopConfig } from 'lighthouse';
import puppeteer from 'puppeteer-core';

const url = process.env.AGENFLEET_URL;
const key = process.env.AGENFLEET_DEMO_KEY;
if (!url || !key) throw new Error('set AGENFLEET_URL and AGENFLEET_DEMO_KEY (scripts/with-dev-server does)');
const args = process.argv.slice(2);
const desktop = args.includes('--desktop');
const path = args.find((arg) => arg.startsWith('/')) ?? '/console/';

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.evaluateOnNewDocument((apiKey) => {
    sessionStorage.setItem('agenfleet.apiKey', apiKey);
  }, key);
  const result = await lighthouse(
    `${url}${path}`,
    { disableStorageReset: true, output: 'html', logLevel: 'error' },
    desktop ? desktopConfig : undefined,
    page,
  );
  const scores = Object.fromEntries(
    Object.values(result.lhr.categories).map((c) => [c.id, Math.round(c.score * 100)]),
  );
  const out = new URL('../../target/console/', import.meta.url).pathname;
  mkdirSync(out, { recursive: true });
  const file = `${out}lighthouse-${desktop ? 'desktop' : 'mobile'}.html`;
  writeFileSync(file, result.report);
  const audits = result.lhr.audits;
  console.log(JSON.stringify({
    page: path,
    formFactor: desktop ? 'desktop' : 'mobile (simulated slow 4G, 4x CPU slowdown)',
    scores,
    firstContentfulPaintMs: Math.round(audits['first-contentful-paint'].numericValue),
    largestContentfulPaintMs: Math.round(audits['largest-contentful-paint'].numericValue),
    totalBlockingTimeMs: Math.round(audits['total-blocking-time'].numericValue),
    report: file,
  }, null, 2));
  if (args.includes('--details')) {
    for (const id of ['bootup-time', 'mainthread-work-breakdown', 'long-tasks', 'largest-contentful-paint-element', 'layout-shifts']) {
      console.log(`--- ${id}`);
      const details = audits[id]?.details;
      console.log(JSON.stringify(details?.items ?? details, null, 0).slice(0, 6000));
    }
  }
  for (const category of Object.values(result.lhr.categories)) {
    for (const ref of category.auditRefs) {
      const audit = audits[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 0.9) {
        console.log(`  ${category.id}: ${audit.id} (${audit.score}) ${audit.displayValue ?? ''}`);
      }
    }
  }
} finally {
  await browser.close();
}
