// The console formats what the fleet page shows by hand rather than with Intl, whose first use
// costs a phone ~200 ms (src/components/format.ts). These tests hold it to what the browser's Intl
// says for the same values: thousands of them, random and at the edges of each rounding.
import { expect, test, type Page } from '@playwright/test';

// format.ts asks `navigator.language` whether English collation applies (Node 20 has no navigator).
(globalThis as { navigator?: { language: string } }).navigator ??= { language: 'en-US' };
const format = await import('../src/components/format');

/** A generator of repeatable pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `expected[i]` is what the browser's Intl says of `inputs[i]`; the failures, at most 10. */
function mismatches<T>(inputs: T[], actual: (input: T) => unknown, expected: unknown[]) {
  return inputs
    .map((input, i) => ({ input, actual: actual(input), expected: expected[i] }))
    .filter((row) => row.actual !== row.expected)
    .slice(0, 10);
}

async function intl<T>(page: Page, inputs: T[], body: string): Promise<unknown[]> {
  return page.evaluate(([inputs, body]) => inputs.map(new Function('input', body) as (input: unknown) => unknown), [
    inputs,
    body,
  ] as const);
}

test('integers, token counts and dollars are what Intl says', async ({ browser }) => {
  const page = await browser.newPage();
  const next = random(1);
  const integers = [0, 1, -1, 999, 1000, -1000, 999_999, 1_000_000, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, -0, 1.5, 1e21];
  for (let i = 0; i < 2000; i++) integers.push(Math.round((next() - 0.3) * 10 ** Math.floor(next() * 16)));
  expect(mismatches(integers, format.formatInteger, await intl(page, integers, 'return new Intl.NumberFormat("en-US").format(input)'))).toEqual([]);

  const tokens = [0, 9_999, 10_000, 10_049, 10_050, 99_949, 99_950, 99_999, 999_949, 999_950, 999_999, 1_000_000, 1_049_999, 1_050_000];
  tokens.push(999_949_999, 999_950_000, 999_999_999_999, 1e12, 1e15, 12_345.5);
  for (let i = 0; i < 3000; i++) tokens.push(Math.floor(10 ** (4 + next() * 9)));
  for (let i = 0; i < 500; i++) tokens.push(Math.floor(next() * 10) * 10 ** Math.floor(4 + next() * 8) - 50 * 10 ** Math.floor(next() * 8));
  const tokenIntl = await intl(
    page,
    tokens,
    'return input >= 10000 ? new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 }).format(input) : new Intl.NumberFormat("en-US").format(input)',
  );
  expect(mismatches(tokens, format.formatTokens, tokenIntl)).toEqual([]);

  const dollars = [0, -0, 1, 0.5, 1.005, 2.675, 0.125, 0.00005, 0.99995, 0.999949, 0.99994999, 9.995, 1e-7, 1234567.895, -1.25, -0.004];
  dollars.push(0.1 + 0.2, 1 / 3, 2 / 3, 1e21, 999_999.995, 0.000049999, 0.00015);
  for (let i = 0; i < 3000; i++) dollars.push(Number((next() * 10 ** Math.floor(next() * 7 - 3)).toFixed(Math.floor(next() * 9))));
  for (let i = 0; i < 1000; i++) dollars.push(next() * 10 ** Math.floor(next() * 8 - 4));
  const dollarIntl = await intl(
    page,
    dollars,
    'const digits = input !== 0 && Math.abs(input) < 1 ? 4 : 2; return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(input)',
  );
  expect(mismatches(dollars, format.formatUsd, dollarIntl)).toEqual([]);
});

test('relative times and local date-times are what Intl says', async ({ browser }) => {
  const timezoneId = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const page = await browser.newPage({ timezoneId });
  const next = random(2);
  const now = Date.UTC(2026, 11, 4, 10, 0, 0);
  const offsets = [0, 0.4, -0.4, 0.5, -0.5, 44.4, 44.6, -44.6, 45, 89, 90, 2699, 2700, -2700, 5399, 5400, 79199, 79200, 86400, 129599, 129600, -129600, 1e9];
  for (let i = 0; i < 3000; i++) offsets.push((next() - 0.5) * 10 ** (next() * 9));
  const isos = offsets.map((seconds) => new Date(now + seconds * 1000).toISOString());
  const relativeIntl = await intl(
    page,
    isos.map((iso) => [iso, now]),
    `const [iso, now] = input; const r = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
     const seconds = Math.round((new Date(iso).getTime() - now) / 1000); const abs = Math.abs(seconds);
     if (abs < 45) return r.format(seconds, "second");
     if (abs < 45 * 60) return r.format(Math.round(seconds / 60), "minute");
     if (abs < 22 * 3600) return r.format(Math.round(seconds / 3600), "hour");
     return r.format(Math.round(seconds / 86400), "day");`,
  );
  expect(mismatches(isos, (iso) => format.formatRelative(iso, now), relativeIntl)).toEqual([]);

  const times = [Date.UTC(2026, 2, 29, 0, 59), Date.UTC(2026, 2, 29, 1, 0), Date.UTC(2026, 9, 25, 0, 59), Date.UTC(2026, 9, 25, 1, 0), 0];
  for (let i = 0; i < 3000; i++) times.push(Math.floor(next() * Date.UTC(2100, 0, 1)));
  const dates = times.map((time) => new Date(time).toISOString());
  const dateIntl = await intl(
    page,
    dates,
    'return new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" }).format(new Date(input))',
  );
  expect(mismatches(dates, (iso) => format.formatDateTime(iso), dateIntl)).toEqual([]);
});

test('names sort as Intl.Collator sorts them', async ({ browser }) => {
  const page = await browser.newPage({ locale: 'en-US' });
  const next = random(3);
  const alphabets = [
    ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~',
    'aAbB ',
    'Bench agent 0123456789',
    'xX-_ .',
  ];
  const word = () => {
    const alphabet = alphabets[Math.floor(next() * alphabets.length)]!;
    return Array.from({ length: Math.floor(next() * 8) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  };
  const pairs: [string, string][] = [];
  const chars = alphabets[0]!.split('');
  for (const a of chars) for (const b of chars) pairs.push([a, b]);
  for (let i = 0; i < 8000; i++) {
    const a = word();
    const b = next() < 0.3 ? a + word() : next() < 0.5 ? a.toUpperCase() : word();
    pairs.push(next() < 0.5 ? [a, b] : [b, a]);
  }
  pairs.push(['Zoë', 'zoe'], ['Émile', 'Emile'], ['<img src=x>', 'agent']);
  const collatorIntl = await intl(page, pairs, 'return Math.sign(new Intl.Collator().compare(input[0], input[1]))');
  expect(mismatches(pairs, ([a, b]) => Math.sign(format.compareNames(a, b)), collatorIntl)).toEqual([]);
});
