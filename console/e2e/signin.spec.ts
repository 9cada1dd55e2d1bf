// Signing in and out: a refused key is explained, the user lands where they were going, the key
// lives in sessionStorage only, and a key revoked meanwhile sends the user back with a message.
import { expect, test } from '@playwright/test';
import { api, apiOk, READ_KEY, screenshots, signIn, unique } from './fixtures';
import { deleteAgents, seedAgent } from './fleet-helpers';

test('the sign-in page explains where keys come from and refuses a wrong key in words', async ({ page }) => {
  await page.goto('/console/');
  await expect(page).toHaveURL(/\/console\/sign-in$/);
  await expect(page.getByLabel('API key')).toHaveAttribute('type', 'password');
  await expect(page.getByText('agenfleet admin create-key')).toBeVisible();
  await screenshots(page, 'sign-in');

  await page.getByLabel('API key').fill(`afk_${'x'.repeat(40)}`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('Your key was refused');
  await expect(page).toHaveURL(/\/console\/sign-in$/);
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  await screenshots(page, 'sign-in-refused');
});

test('signing in returns to the page asked for; the key is kept only in sessionStorage', async ({ page }) => {
  const agent = await seedAgent();
  try {
    await page.goto(`/console/agents/${agent.id}/sessions`);
    await expect(page).toHaveURL(/\/console\/sign-in$/);
    await page.getByLabel('API key').fill(process.env.AGENFLEET_DEMO_KEY!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(new RegExp(`/console/agents/${agent.id}/sessions$`));
    await expect(page.getByRole('heading', { level: 1, name: agent.name })).toBeVisible();
    // Nowhere but sessionStorage: not in the URL, localStorage or a cookie.
    expect(page.url()).not.toContain('afk_');
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.context().cookies()).toEqual([]);
    expect(await page.evaluate(() => Object.values({ ...sessionStorage }).some((v) => v.startsWith('afk_')))).toBe(true);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/console\/sign-in$/);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.goto('/console/');
    await expect(page).toHaveURL(/\/console\/sign-in$/);
  } finally {
    await deleteAgents(agent.id);
  }
});

test('a read key signs in and is shown as read-only', async ({ page }) => {
  await signIn(page, READ_KEY);
  await expect(page.getByTestId('key-scope')).toContainText('read-only key');
});

test('a revoked key sends the user back to sign in, with a message', async ({ page }) => {
  const agent = await seedAgent();
  const keys: string[] = [];
  async function revokedAfterSignIn(): Promise<string> {
    const created = await apiOk('POST', '/api-keys', { body: { name: unique('e2e revoked'), scope: 'read-write' } });
    keys.push(created.id);
    await signIn(page, created.key);
    await expect(page.getByRole('link', { name: agent.name })).toBeVisible();
    await apiOk('DELETE', `/api-keys/${created.id}`);
    expect((await api('GET', '/agents', { key: created.key })).status).toBe(401);
    return created.key;
  }
  const keyGone = () => page.evaluate(() => !Object.values({ ...sessionStorage }).some((v) => v.startsWith('afk_')));
  try {
    // Loading the console again: the key is checked again, refused, forgotten. (A goto rather
    // than a reload: the Vite dev server, unlike the API, does not redirect /console to /console/.)
    await revokedAfterSignIn();
    await page.goto('/console/');
    await expect(page).toHaveURL(/\/console\/sign-in$/);
    await expect(page.getByRole('status')).toContainText('revoked or has expired');
    expect(await keyGone()).toBe(true);

    // Without a reload: the console's next request is refused, and it says why.
    await revokedAfterSignIn();
    await page.getByRole('link', { name: agent.name }).click();
    await expect(page).toHaveURL(/\/console\/sign-in$/);
    await expect(page.getByRole('status')).toContainText('revoked or has expired');
    expect(await keyGone()).toBe(true);
    await screenshots(page, 'sign-in-revoked');
  } finally {
    for (const id of keys) await api('DELETE', `/api-keys/${id}`);
    await deleteAgents(agent.id);
  }
});
