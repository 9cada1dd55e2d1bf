// The cost page against the metrics API: the same period gives the same totals, rows by model
// and provider, per-agent rows and budget alerts. Works with or without the demo fleet: it adds
// a priced reply of its own first, and compares with what the API says at the time.
import { expect, test, type Page } from '@playwright/test';
import { formatInteger, formatPercent, formatTokens, formatUsd } from '../src/components/format';
import { apiOk, READ_KEY, screenshots, signIn, unique } from './fixtures';
import { allItems } from './lists';
import { deleteAfterEach } from './cleanup';

const DAY = 86_400_000;
const remove = deleteAfterEach();

async function pricedAgent(budget?: number) {
  const agent = await apiOk('POST', '/agents', {
    body: {
      name: unique('Cost agent'),
      config: { model: { default: 'gpt-4o' }, ...(budget ? { limits: { dailyTokenBudget: budget } } : {}) },
    },
  });
  remove(`/agents/${agent.id}`);
  const session = await apiOk('POST', '/sessions', { body: { agentId: agent.id } });
  await apiOk('POST', `/sessions/${session.id}/messages`, {
    body: {
      role: 'assistant',
      content: 'A priced reply.',
      usage: { model: 'gpt-4o', inputTokens: 12_345, outputTokens: 6_789, latencyMs: 900 },
    },
  });
  return agent;
}

/** Every row of a table as the texts of its cells. */
async function tableRows(page: Page, testId: string): Promise<string[][]> {
  return page
    .getByTestId(testId)
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.innerText.trim())));
}

async function periodOf(page: Page) {
  const period = page.getByTestId('period');
  return { from: (await period.getAttribute('data-from'))!, to: (await period.getAttribute('data-to'))! };
}

/** The page shows what /v1/metrics/summary and /v1/metrics/agents say for its period. */
async function expectPageMatchesApi(page: Page) {
  await expect(async () => {
    const { from, to } = await periodOf(page);
    const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const summary = await apiOk(`GET`, `/metrics/summary?${range}`);
    expect(await page.getByTestId('total-cost').innerText()).toBe(formatUsd(summary.costUsd));
    expect(await page.getByTestId('input-tokens').innerText()).toBe(formatTokens(summary.tokens.input));
    expect(await page.getByTestId('output-tokens').innerText()).toBe(formatTokens(summary.tokens.output));
    expect(await page.getByTestId('replies').innerText()).toBe(formatInteger(summary.messages.assistant));
    expect(await tableRows(page, 'by-model')).toEqual(
      summary.byModel.map((m: any) => [
        m.model,
        m.provider,
        formatInteger(m.inputTokens),
        formatInteger(m.outputTokens),
        formatUsd(m.costUsd),
        `${m.pctOfTotal.toFixed(1)}%`,
      ]),
    );
    expect((await tableRows(page, 'by-provider')).map((row) => row.slice(0, 4))).toEqual(
      summary.byProvider.map((p: any) => [
        p.provider,
        formatInteger(p.inputTokens),
        formatInteger(p.outputTokens),
        formatUsd(p.costUsd),
      ]),
    );

    const agents = await allItems(`/metrics/agents?${range}`);
    const shown = await page
      .getByTestId('agent-costs')
      .locator('tbody tr')
      .evaluateAll((rows) =>
        Object.fromEntries(
          rows.map((row) => [
            row.getAttribute('data-agent-id'),
            [...row.querySelectorAll('td')].slice(0, 7).map((td) => (td as HTMLElement).innerText.trim()),
          ]),
        ),
      );
    expect(shown).toEqual(
      Object.fromEntries(
        agents.map((a) => [
          a.agentId,
          [
            a.name,
            a.model,
            formatInteger(a.inputTokens),
            formatInteger(a.outputTokens),
            formatInteger(a.messages),
            formatInteger(a.sessions),
            formatUsd(a.costUsd),
          ],
        ]),
      ),
    );
  }).toPass({ timeout: 15_000 });
}

test('cost totals, models, providers and agents equal the metrics API for the chosen period', async ({ page }) => {
  const agent = await pricedAgent();
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cost' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Cost' })).toBeVisible();
  await expect(page.getByRole('figure', { name: 'Cost per day (UTC)' })).toBeVisible();
  await expect(page.getByTestId('agent-costs').locator(`tr[data-agent-id="${agent.id}"]`)).toBeVisible();
  await expectPageMatchesApi(page);
  await screenshots(page, 'cost');

  // A preset: the last 7 UTC days, today included.
  await page.getByRole('button', { name: '7 days' }).click();
  await expect(page.getByRole('button', { name: '7 days' })).toHaveAttribute('aria-pressed', 'true');
  const week = await periodOf(page);
  expect(Date.parse(week.to) - Date.parse(week.from)).toBe(7 * DAY);
  expect(Date.parse(week.to)).toBeGreaterThan(Date.now());
  expect(Date.parse(week.to) - DAY).toBeLessThanOrEqual(Date.now());
  await expectPageMatchesApi(page);

  // A custom period: the three days up to today.
  const today = new Date().toISOString().slice(0, 10);
  const first = new Date(Date.now() - 2 * DAY).toISOString().slice(0, 10);
  await page.getByLabel('First day').fill(first);
  await page.getByLabel('Last day').fill(today);
  await page.getByRole('button', { name: 'Show these days' }).click();
  await expect.poll(() => periodOf(page)).toEqual({ from: `${first}T00:00:00Z`, to: new Date(Date.parse(today) + DAY).toISOString().replace('.000Z', 'Z') });
  await expectPageMatchesApi(page);

  // More than the API's 92 days is refused before asking.
  await page.getByLabel('First day').fill(new Date(Date.now() - 120 * DAY).toISOString().slice(0, 10));
  await page.getByRole('button', { name: 'Show these days' }).click();
  await expect(page.getByRole('alert')).toContainText('At most 92 days');
});

test('by-agent columns sort', async ({ page }) => {
  await pricedAgent();
  await signIn(page);
  await page.goto('/console/cost?days=30');
  const table = page.getByTestId('agent-costs');
  await expect(table.locator('tbody tr').first()).toBeVisible();
  const names = () => table.locator('tbody tr td:first-child').allInnerTexts();

  await table.getByRole('button', { name: 'Agent' }).click();
  await expect(table.getByRole('columnheader', { name: 'Agent' })).toHaveAttribute('aria-sort', 'ascending');
  const ascending = await names();
  expect(ascending).toEqual([...ascending].sort((a, b) => a.localeCompare(b)));

  await table.getByRole('button', { name: 'Input tokens' }).click();
  await expect(table.getByRole('columnheader', { name: 'Input tokens' })).toHaveAttribute('aria-sort', 'descending');
  const tokens = (await table.locator('tbody tr td:nth-child(3)').allInnerTexts()).map((t) => Number(t.replace(/,/g, '')));
  expect(tokens).toEqual([...tokens].sort((a, b) => b - a));
});

test('agents over their budget are listed with their utilization', async ({ page }) => {
  const agent = await pricedAgent(1_000); // one reply of ~19k tokens: far over a 1,000-token day
  await signIn(page);
  await page.goto('/console/cost');
  const card = page.getByTestId('budget-watch').getByRole('listitem').filter({ hasText: agent.name });
  await expect(card).toBeVisible();
  const row = (await allItems('/metrics/agents')).find((a) => a.agentId === agent.id);
  expect(row.dailyBudgetUtilization).toBeGreaterThanOrEqual(1);
  await expect(card.getByRole('progressbar', { name: 'Today' })).toHaveAttribute(
    'aria-valuenow',
    String(Math.round(row.dailyBudgetUtilization * 100)),
  );
  await expect(card).toContainText(formatPercent(row.dailyBudgetUtilization));
});

test('a read key sees the cost page', async ({ page }) => {
  await signIn(page, READ_KEY);
  await page.goto('/console/cost');
  await expect(page.getByRole('heading', { level: 1, name: 'Cost' })).toBeVisible();
  await expect(page.getByTestId('total-cost')).toBeVisible();
});
