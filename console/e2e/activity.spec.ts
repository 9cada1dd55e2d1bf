// The activity page: the live tail shows a new entry within 2 s, filters give what the API
// gives, and the chain verification shown is the API's.
import { expect, test } from '@playwright/test';
import { deleteAfterEach } from './cleanup';
import { apiOk, READ_KEY, screenshots, signIn, unique } from './fixtures';

const remove = deleteAfterEach();

/** An agent made through the API (its creation is an activity entry), deleted after the test. */
async function newAgent(prefix: string) {
  const agent = await apiOk('POST', '/agents', { body: { name: unique(prefix) } });
  remove(`/agents/${agent.id}`);
  return agent;
}

async function verification() {
  return apiOk<{ valid: boolean; entries: number; firstBrokenSequence: number | null }>('GET', '/activity/verify');
}

test('live tail shows a new entry within 2 s; the verification is the API’s', async ({ page }) => {
  const before = await verification();
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Activity' })).toBeVisible();

  // Verification: "Verified through sequence N" (or "Broken at sequence N"), as the API says.
  const shown = page.getByTestId('verification');
  await expect(shown).toBeVisible();
  const after = await verification();
  const text = await shown.innerText();
  const sequence = Number(text.replace(/[^0-9]/g, ''));
  if (after.valid) {
    expect(text).toContain('Verified through sequence');
    expect(sequence).toBeGreaterThanOrEqual(before.entries);
    expect(sequence).toBeLessThanOrEqual(after.entries);
  } else {
    expect(text).toContain(`Broken at sequence`);
    expect(sequence).toBe(after.firstBrokenSequence);
  }

  const liveTail = page.getByRole('switch', { name: 'Live tail' });
  await expect(liveTail).toBeChecked();
  const log = page.getByTestId('activity-log');
  const rowOf = async (agentId: string) => {
    const [entry] = (await apiOk('GET', `/activity?type=agent.created&agentId=${agentId}`)).data;
    return log.locator(`tr[data-sequence="${entry.sequence}"]`);
  };
  // The page's stream connects after the page loads: wait for one entry to know it is there.
  const warmUp = await newAgent('Warm-up agent');
  await expect(await rowOf(warmUp.id)).toBeVisible({ timeout: 10_000 });

  // Then a new entry shows within 2 s of its creation, without a reload.
  const created = Date.now();
  const agent = await newAgent('Live agent');
  const row = await rowOf(agent.id);
  await expect(row).toBeVisible({ timeout: 2_000 - (Date.now() - created) });
  await expect(row).toContainText(agent.name);
  await expect(row).toContainText('agent.created');
  await screenshots(page, 'activity');

  // Paused: nothing moves; back on: it catches up.
  await liveTail.uncheck();
  const quiet = await newAgent('Unseen agent');
  await page.waitForTimeout(2_500);
  const quietRow = await rowOf(quiet.id);
  await expect(quietRow).toHaveCount(0);
  await liveTail.check();
  await expect(quietRow).toBeVisible();

  // Verify again: a fresh answer, between what the API said just before and just after.
  const checked = page.getByText(/^Every entry links|^From this entry on/);
  const checkedBefore = await checked.innerText();
  const first = await verification();
  await page.waitForTimeout(1_000); // "Checked …" is to the second
  await page.getByRole('button', { name: 'Verify again' }).click();
  await expect(checked).not.toHaveText(checkedBefore);
  const last = await verification();
  const again = Number((await shown.innerText()).replace(/[^0-9]/g, ''));
  if (last.valid) {
    expect(again).toBeGreaterThanOrEqual(first.entries);
    expect(again).toBeLessThanOrEqual(last.entries);
  } else {
    expect(again).toBe(last.firstBrokenSequence);
  }
});

test('filters give the entries the API gives, and live entries follow them', async ({ page }) => {
  const agent = await newAgent('Filtered agent');
  await apiOk('PATCH', `/agents/${agent.id}`, { body: { role: 'filtered' } });
  await apiOk('POST', '/sessions', { body: { agentId: agent.id } });
  await signIn(page);
  await page.goto('/console/activity');
  await page.getByLabel('Type').fill('agent.*');
  await page.getByLabel('Agent', { exact: true }).selectOption(agent.id);
  await page.getByLabel('Actor').selectOption('api_key');
  await page.getByRole('button', { name: 'Apply' }).click();

  const log = page.getByTestId('activity-log');
  const sequences = () =>
    log.locator('tbody tr').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-sequence'))));
  const expected = (await apiOk('GET', `/activity?type=agent.*&agentId=${agent.id}&actorType=api_key&limit=50`)).data;
  expect(expected.map((e: any) => e.type)).toEqual(['agent.updated', 'agent.created']);
  await expect.poll(sequences).toEqual(expected.map((e: any) => e.sequence));
  expect(page.url()).toContain('type=agent.*');

  // Live: a matching entry appears, a non-matching one does not.
  await apiOk('POST', '/sessions', { body: { agentId: agent.id } });
  const updated = await apiOk('PATCH', `/agents/${agent.id}`, { body: { role: 'filtered again' } });
  expect(updated.role).toBe('filtered again');
  const [latest] = (await apiOk('GET', `/activity?type=agent.updated&agentId=${agent.id}&limit=1`)).data;
  await expect(log.locator(`tr[data-sequence="${latest.sequence}"]`)).toBeVisible({ timeout: 10_000 });
  expect(await log.locator('tbody tr').allInnerTexts()).not.toContainEqual(expect.stringContaining('session.created'));

  // A time range that ends before the agent existed has none of its entries.
  await page.getByLabel('To', { exact: true }).fill('2020-01-01T00:00');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByText('No entries match these filters.')).toBeVisible();
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(page.getByLabel('Type')).toHaveValue('');
});

test('pages through the log as the API does', async ({ page }) => {
  // Enough entries for a second page of 50, with or without the demo fleet.
  const { pagination } = await apiOk('GET', '/activity?limit=1');
  for (let i = pagination.total; i < 60; i++) await newAgent('Paging agent');
  await signIn(page, READ_KEY);
  await page.goto('/console/activity');
  await page.getByRole('switch', { name: 'Live tail' }).uncheck();
  await page.getByRole('navigation', { name: 'Activity pages' }).getByRole('button', { name: 'Next' }).click();
  const log = page.getByTestId('activity-log');
  await expect(async () => {
    const first = Number(await log.locator('tbody tr').first().getAttribute('data-sequence'));
    const [expected] = (await apiOk('GET', '/activity?limit=1&offset=50')).data;
    // New entries may arrive meanwhile (the demo fleet): the page's 51st is at most that far back.
    expect(first).toBeLessThanOrEqual(expected.sequence);
    expect(first).toBeGreaterThan(expected.sequence - 20);
  }).toPass({ timeout: 10_000 });
  // A read key: the log has no write controls to hide, only reading ones.
  await expect(page.getByRole('button', { name: 'Verify again' })).toBeVisible();
});
