// What every console test needs: the keys, a plain HTTP client of the API (independent of the
// console and the SDK, so the tests compare the page with what the API itself says), signing
// in, and screenshots at desktop and phone width.
import { expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';

export const URL = process.env.AGENFLEET_URL!;
/** A read-write key of the demo tenant. */
export const KEY = process.env.AGENFLEET_DEMO_KEY!;
/** A read key of the demo tenant. */
export const READ_KEY = process.env.AGENFLEET_DEMO_READ_KEY!;

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** One request to the API with `key`; JSON in and out. */
export async function api<T = any>(
  method: string,
  path: string,
  { key = KEY, body }: { key?: string; body?: unknown } = {},
): Promise<ApiAnswer<T>> {
  const response = await fetch(`${URL}/v1${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (e.g. a SOUL file): keep the text
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/** Like `api`, but fails the test unless the answer is 2xx. */
export async function apiOk<T = any>(
  method: string,
  path: string,
  options: { key?: string; body?: unknown } = {},
): Promise<T> {
  const answer = await api<T>(method, path, options);
  expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
  return answer.body;
}

/** Signs in through the sign-in page and waits for the fleet page. */
export async function signIn(page: Page, key = KEY): Promise<void> {
  await page.goto('/console/sign-in');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Fleet' })).toBeVisible();
}

const SHOTS = new globalThis.URL('../../target/console/screenshots/', import.meta.url).pathname;

/**
 * Screenshots of the page as it is, at 1280×800 and at phone width (390×844), as
 * target/console/screenshots/<name>-desktop.png and <name>-phone.png.
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: `${SHOTS}${name}-desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}${name}-phone.png`, fullPage: true });
  await page.setViewportSize(size);
}

/** A name no other test run uses. */
export function unique(prefix: string): string {
  return `${prefix} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
