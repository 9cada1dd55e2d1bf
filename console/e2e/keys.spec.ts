// Settings → API keys: create a key (shown once), revoke it (the API refuses it afterwards),
// revoking the key in use signs out, and a read key sees no write control.
import { expect, test } from '@playwright/test';
import { formatDateTime } from '../src/components/format';
import { api, apiOk, READ_KEY, screenshots, signIn, unique } from './fixtures';
import { allItems } from './lists';

test('create a key in the console, then revoke it: the API refuses it', async ({ page }) => {
  const name = unique('Console key');
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'API keys' })).toBeVisible();

  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Scope').selectOption('read-write');
  await page.getByLabel('Expires').fill('2099-01-01T12:00');
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = (await page.getByTestId('secret').innerText()).trim();
  expect(secret).toMatch(/^afk_/);
  await expect(page.getByRole('button', { name: 'Copy' })).toBeVisible();
  expect((await api('GET', '/agents?limit=1', { key: secret })).status).toBe(200);

  // Listed without its secret, as the API lists it.
  const key = (await allItems('/api-keys')).find((k) => k.name === name);
  expect(key).toMatchObject({ scope: 'read-write', prefix: secret.slice(0, 8) });
  expect(key.key ?? null).toBeNull();
  const row = page.getByTestId('api-keys').locator(`tr[data-key-id="${key.id}"]`);
  await expect(row).toContainText(`${key.prefix}…`);
  await expect(row).toContainText(formatDateTime(key.expiresAt));
  await screenshots(page, 'api-keys');

  // Shown once: gone after a reload.
  await page.reload();
  await expect(row).toBeVisible();
  await expect(page.getByTestId('secret')).toHaveCount(0);
  await expect(page.getByText(secret)).toHaveCount(0);

  await row.getByRole('button', { name: 'Revoke' }).click();
  const dialog = page.getByRole('dialog', { name: `Revoke ${name}?` });
  await expect(dialog).not.toContainText('signs you out');
  await dialog.getByRole('button', { name: 'Revoke the key' }).click();
  await expect(row).toHaveCount(0);
  await expect.poll(async () => (await api('GET', '/agents?limit=1', { key: secret })).status).toBe(401);
  expect((await api('GET', `/api-keys/${key.id}`)).status).toBe(404);
});

test('revoking the key in use warns, then signs out', async ({ page }) => {
  const own = await apiOk('POST', '/api-keys', { body: { name: unique('Own key'), scope: 'read-write' } });
  await signIn(page, own.key);
  await page.goto('/console/settings/api-keys');
  const row = page.getByTestId('api-keys').locator(`tr[data-key-id="${own.id}"]`);
  await expect(row).toContainText('in use');
  await row.getByRole('button', { name: 'Revoke' }).click();
  const dialog = page.getByRole('dialog', { name: `Revoke ${own.name}?` });
  await expect(dialog).toContainText('This is the key you are signed in with');
  await dialog.getByRole('button', { name: 'Revoke the key' }).click();
  await expect(page.getByLabel('API key')).toBeVisible();
  await expect(page.getByText('You revoked the key you were signed in with')).toBeVisible();
  expect(page.url()).toContain('/console/sign-in');
  expect((await api('GET', '/agents?limit=1', { key: own.key })).status).toBe(401);
});

test('a read key sees the keys and no write control', async ({ page }) => {
  await signIn(page, READ_KEY);
  await page.goto('/console/settings/api-keys');
  const keys = await allItems('/api-keys', READ_KEY);
  await expect(page.getByTestId('api-keys').locator('tbody tr')).toHaveCount(keys.length);
  await expect(page.getByRole('button', { name: 'Create key' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Revoke' })).toHaveCount(0);
  await expect(page.getByLabel('Name')).toHaveCount(0);
});
