// Webhooks in the console, checked through the API: create one (secret shown once), send a
// test, see its delivery and attempt log, retry, filter, disable, rotate, replay, delete. Nothing
// listens on 127.0.0.1:9, so every attempt fails: that is what the attempt log shows.
import { expect, test } from '@playwright/test';
import { api, apiOk, READ_KEY, screenshots, signIn, unique } from './fixtures';
import { allItems } from './lists';
import { deleteAfterEach } from './cleanup';

/** A URL no earlier run registered (the API refuses the same URL for the same events). */
const remove = deleteAfterEach();
const hookUrl = () => `http://127.0.0.1:9/hook/${unique('t').split(' ')[1]}`;

test('create a webhook, send a test, see the delivery and its attempts', async ({ page }) => {
  const url = hookUrl();
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
  await page.getByRole('link', { name: 'New webhook' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New webhook' })).toBeVisible();
  await screenshots(page, 'webhook-new');

  await page.getByLabel('URL').fill(url);
  await page.getByLabel('All events').uncheck();
  await page.getByRole('button', { name: 'Create webhook' }).click();
  await expect(page.getByText('Choose at least one event')).toBeVisible();
  await page.getByLabel('agent.created').check();
  await page.getByLabel('webhook.test').check();
  await page.getByLabel('Description').fill('Console test receiver');
  await page.getByRole('button', { name: 'Create webhook' }).click();

  // The secret, once, with a copy button.
  const secret = (await page.getByTestId('secret').innerText()).trim();
  expect(secret).toMatch(/^whsec_/);
  await expect(page.getByRole('button', { name: 'Copy' })).toBeVisible();
  const webhook = (await allItems('/webhooks')).find((w) => w.url === url);
  remove(`/webhooks/${webhook.id}`);
  expect(webhook).toMatchObject({ events: ['agent.created', 'webhook.test'], description: 'Console test receiver', enabled: true });
  expect(webhook.secret ?? null).toBeNull();
  await page.getByRole('link', { name: 'Go to the webhook' }).click();
  await expect(page.getByRole('heading', { level: 1, name: url })).toBeVisible();
  await expect(page.getByTestId('secret')).toHaveCount(0);

  // Send a test: its delivery appears, then its failed attempt in the log.
  await page.getByRole('button', { name: 'Send a test' }).click();
  const sent = page.getByRole('status').filter({ hasText: 'webhook.test' });
  await expect(sent).toBeVisible();
  const deliveryId = (await sent.locator('code').nth(1).innerText()).trim();
  const row = page.getByTestId('deliveries').locator(`tr[data-delivery-id="${deliveryId}"]`);
  await expect(row).toContainText('webhook.test');
  await row.getByRole('button', { name: 'Attempts' }).click();
  const log = page.getByTestId('attempt-log');
  await expect(log.locator('tbody tr').first()).toBeVisible();
  await expect(async () => {
    const delivery = await apiOk('GET', `/webhooks/${webhook.id}/deliveries/${deliveryId}`);
    expect(delivery.eventType).toBe('webhook.test');
    expect(delivery.attemptLog.length).toBeGreaterThanOrEqual(1);
    expect(await log.locator('tbody tr').count()).toBe(delivery.attemptLog.length);
    expect(await log.locator('tbody tr').first().innerText()).toContain(delivery.attemptLog[0].error);
  }).toPass({ timeout: 15_000 });

  // Retry: a new attempt now.
  const before = (await apiOk('GET', `/webhooks/${webhook.id}/deliveries/${deliveryId}`)).attempts;
  await row.getByRole('button', { name: 'Retry' }).click();
  await expect
    .poll(async () => (await apiOk('GET', `/webhooks/${webhook.id}/deliveries/${deliveryId}`)).attempts)
    .toBeGreaterThan(before);
  await expect(log.locator('tbody tr')).toHaveCount(before + 1, { timeout: 15_000 });

  // Filter by status, as the API does.
  const deliveries = page.getByTestId('deliveries');
  const status = (await apiOk('GET', `/webhooks/${webhook.id}/deliveries/${deliveryId}`)).status;
  await page.getByLabel('Status').selectOption(status);
  await expect(deliveries.locator(`tr[data-delivery-id="${deliveryId}"]`)).toBeVisible();
  const other = status === 'succeeded' ? 'failed' : 'succeeded';
  await page.getByLabel('Status').selectOption(other);
  await expect(page.getByText(`No ${other} deliveries.`)).toBeVisible();
  await page.getByLabel('Status').selectOption('');
  await expect(log.locator('tbody tr').first()).toBeVisible();

  // On a phone (390 px) nothing scrolls sideways, neither the page nor the deliveries: a
  // delivery's buttons and its attempt log are on screen.
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(await deliveries.evaluate((table) => table.parentElement!.scrollWidth - table.parentElement!.clientWidth)).toBe(0);
  for (const element of [row.getByRole('button', { name: 'Hide attempts' }), row.getByRole('button', { name: 'Retry' }), log]) {
    const box = (await element.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await screenshots(page, 'webhook');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
  await expect(page.getByTestId('webhooks').getByRole('link', { name: url })).toBeVisible();
  await screenshots(page, 'webhooks');
});

test('disable, rotate the secret, replay and delete a webhook', async ({ page }) => {
  const created = await apiOk('POST', '/webhooks', { body: { url: hookUrl(), events: ['agent.created'] } });
  remove(`/webhooks/${created.id}`);
  remove(`/agents/${(await apiOk('POST', '/agents', { body: { name: unique('Replayed agent') } })).id}`);
  await signIn(page);
  await page.goto('/console/webhooks');
  await page.getByTestId('webhooks').getByRole('link', { name: created.url }).click();
  await expect(page.getByRole('heading', { level: 1, name: created.url })).toBeVisible();

  await page.getByRole('button', { name: 'Disable' }).click();
  await expect(page.getByRole('button', { name: 'Enable' })).toBeVisible();
  expect((await apiOk('GET', `/webhooks/${created.id}`)).enabled).toBe(false);
  await page.getByRole('button', { name: 'Enable' }).click();
  await expect(page.getByRole('button', { name: 'Disable' })).toBeVisible();
  expect((await apiOk('GET', `/webhooks/${created.id}`)).enabled).toBe(true);

  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await page.getByRole('dialog', { name: 'Rotate the signing secret?' }).getByRole('button', { name: 'Rotate' }).click();
  const rotated = (await page.getByTestId('secret').innerText()).trim();
  expect(rotated).toMatch(/^whsec_/);
  expect(rotated).not.toBe(created.secret);

  // Replay since an hour ago (the default): at least the agent.created above is delivered again.
  const before = (await allItems(`/webhooks/${created.id}/deliveries`)).length;
  await page.getByRole('button', { name: 'Replay' }).click();
  const scheduled = page.getByRole('status').filter({ hasText: /deliver(y|ies) scheduled/ });
  await expect(scheduled).toBeVisible();
  const count = Number((await scheduled.innerText()).replace(/[^0-9]/g, ''));
  expect(count).toBeGreaterThanOrEqual(1);
  expect((await allItems(`/webhooks/${created.id}/deliveries`)).length).toBe(before + count);

  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete this webhook?' }).getByRole('button', { name: 'Delete the webhook' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
  expect((await api('GET', `/webhooks/${created.id}`)).status).toBe(404);
  await expect(page.getByTestId('webhooks').getByRole('link', { name: created.url })).toHaveCount(0);
});

test('a read key sees webhooks and deliveries, and no write control', async ({ page }) => {
  const created = await apiOk('POST', '/webhooks', { body: { url: hookUrl(), events: ['webhook.test'] } });
  remove(`/webhooks/${created.id}`);
  await apiOk('POST', `/webhooks/${created.id}/test`);
  await signIn(page, READ_KEY);
  await page.goto('/console/webhooks');
  await expect(page.getByTestId('webhooks').getByRole('link', { name: created.url })).toBeVisible();
  await expect(page.getByRole('link', { name: 'New webhook' })).toHaveCount(0);

  await page.goto(`/console/webhooks/${created.id}`);
  const row = page.getByTestId('deliveries').locator('tbody tr').first();
  await expect(row).toContainText('webhook.test');
  await row.getByRole('button', { name: 'Attempts' }).click();
  await expect(page.getByTestId('attempt-log').or(page.getByText('No attempt yet'))).toBeVisible();
  for (const name of ['Send a test', 'Disable', 'Enable', 'Rotate secret', 'Delete', 'Retry', 'Replay']) {
    await expect(page.getByRole('button', { name })).toHaveCount(0);
  }
  await expect(page.getByLabel('Re-deliver events since')).toHaveCount(0);
});
