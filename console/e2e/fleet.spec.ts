// The fleet page against the API: its aggregates and cards show what /v1/metrics/summary,
// /v1/agents and /v1/metrics/agents say (whatever agents exist, demo or not); the status filter;
// live updates without a reload; creating an agent.
import { expect, test, type Page } from '@playwright/test';
import { formatInteger, formatTokens, formatUsd, startOfUtcDay, startOfUtcMonth } from '../src/components/format';
import { api, apiOk, READ_KEY, screenshots, signIn, unique } from './fixtures';
import { deleteAgents, liveStreamConnected, seedAgent } from './fleet-helpers';
import { allItems } from './lists';

const stat = (page: Page, id: string) => page.getByTestId(`stat-${id}`);
const card = (page: Page, id: string) => page.locator(`[data-testid="agent-card"][data-agent-id="${id}"]`);

test('the aggregates and the cards show what the API says', async ({ page }) => {
  const seeded = await seedAgent();
  try {
    await signIn(page);
    // Numbers move while a demo fleet runs: compare page and API answers of the same moment.
    await expect(async () => {
      const today = await apiOk('GET', `/metrics/summary?from=${startOfUtcDay()}`);
      const month = await apiOk('GET', `/metrics/summary?from=${startOfUtcMonth()}`);
      for (const status of ['online', 'degraded', 'offline', 'provisioning']) {
        await expect(stat(page, status)).toHaveText(formatInteger(today.agents[status]), { timeout: 500 });
      }
      await expect(stat(page, 'active-sessions')).toHaveText(formatInteger(today.sessions.active), { timeout: 500 });
      await expect(stat(page, 'tokens-today')).toHaveText(formatInteger(today.tokens.input + today.tokens.output), { timeout: 500 });
      await expect(stat(page, 'cost-today')).toHaveText(formatUsd(today.costUsd), { timeout: 500 });
      await expect(stat(page, 'tokens-month')).toHaveText(formatInteger(month.tokens.input + month.tokens.output), { timeout: 500 });
      await expect(stat(page, 'cost-month')).toHaveText(formatUsd(month.costUsd), { timeout: 500 });
    }).toPass({ timeout: 20_000 });

    await expect(async () => {
      const agents = await allItems('/agents');
      const usage = new Map((await allItems(`/metrics/agents?from=${startOfUtcDay()}`)).map((row) => [row.agentId, row]));
      await expect(page.getByTestId('agent-card')).toHaveCount(agents.length, { timeout: 500 });
      for (const agent of agents.slice(0, 40)) {
        const shown = card(page, agent.id);
        await expect(shown.getByRole('link', { name: agent.name, exact: true })).toBeVisible({ timeout: 500 });
        await expect(shown).toHaveAttribute('data-status', agent.status, { timeout: 500 });
        await expect(shown.getByText(agent.model, { exact: true })).toBeVisible({ timeout: 500 });
        await expect(shown.getByTestId('agent-tokens-today')).toHaveText(
          formatTokens(agent.tokensTodayInput + agent.tokensTodayOutput),
          { timeout: 500 },
        );
        await expect(shown.getByTestId('agent-cost-today')).toHaveText(formatUsd(usage.get(agent.id)?.costUsd ?? 0), { timeout: 500 });
      }
    }).toPass({ timeout: 30_000 });

    // The seeded agent's budget bar says what /v1/metrics/agents says.
    const row = (await allItems(`/metrics/agents?from=${startOfUtcDay()}`)).find((r) => r.agentId === seeded.id);
    await expect(card(page, seeded.id).getByRole('progressbar', { name: 'Daily budget' })).toHaveAttribute(
      'aria-valuenow',
      String(Math.round(row.dailyBudgetUtilization * 100)),
    );
    // No monthly budget: no monthly bar.
    await expect(card(page, seeded.id).getByRole('progressbar', { name: 'Monthly budget' })).toHaveCount(0);
  } finally {
    await deleteAgents(seeded.id);
  }
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Fleet' })).toBeVisible();
  await expect(page.getByTestId('stat-cost-month')).not.toHaveText('…');
  await screenshots(page, 'fleet');
});

test('the status filter shows the agents of one status and is kept in the URL', async ({ page }) => {
  const seeded = await seedAgent();
  await apiOk('POST', `/agents/${seeded.id}/heartbeat`, { body: { state: 'degraded' } });
  try {
    await signIn(page);
    await page.getByRole('group', { name: 'Filter by status' }).getByRole('button', { name: /^Degraded/ }).click();
    await expect(page).toHaveURL(/\?status=degraded$/);
    await expect(async () => {
      const degraded = await apiOk('GET', '/agents?status=degraded&limit=1');
      await expect(page.getByTestId('agent-card')).toHaveCount(degraded.pagination.total, { timeout: 500 });
    }).toPass({ timeout: 15_000 });
    await expect(card(page, seeded.id)).toBeVisible();
    for (const status of await page.getByTestId('agent-card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-status')))) {
      expect(status).toBe('degraded');
    }
    // The filter survives a reload (it is in the URL) and "All" clears it.
    await page.reload();
    await expect(page.getByRole('button', { name: /^Degraded/ })).toHaveAttribute('aria-pressed', 'true');
    await page.getByRole('button', { name: /^All/ }).click();
    await expect(page).not.toHaveURL(/status=/);
  } finally {
    await deleteAgents(seeded.id);
  }
});

test('an agent created through the API appears within 2 s, and its heartbeats move its card', async ({ page }) => {
  const connected = liveStreamConnected(page);
  await signIn(page);
  await connected;
  const name = unique('e2e live');
  const agent = await apiOk('POST', '/agents', { body: { name, role: 'Appears live' } });
  try {
    const shown = card(page, agent.id);
    await expect(shown.getByRole('link', { name, exact: true })).toBeVisible({ timeout: 2_000 });
    await expect(shown).toHaveAttribute('data-status', 'provisioning');

    await apiOk('POST', `/agents/${agent.id}/heartbeat`, { body: { state: 'degraded' } });
    await expect(shown).toHaveAttribute('data-status', 'degraded', { timeout: 2_000 });
    await expect(shown.getByText('degraded', { exact: true })).toBeVisible();

    await apiOk('POST', `/agents/${agent.id}/heartbeat`, { body: { state: 'ok' } });
    await expect(shown).toHaveAttribute('data-status', 'online', { timeout: 2_000 });

    // Deleted through the API: the card goes, still without a reload.
    await apiOk('DELETE', `/agents/${agent.id}`);
    await expect(shown).toHaveCount(0, { timeout: 2_000 });
  } finally {
    await deleteAgents(agent.id);
  }
});

test('creating an agent in the console', async ({ page }) => {
  await signIn(page);
  await page.getByRole('button', { name: 'New agent' }).click();
  const dialog = page.getByRole('dialog', { name: 'New agent' });
  const name = unique('e2e created in the UI');
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByLabel(/^Role/).fill('Writes the changelog');
  await dialog.getByLabel(/^Description/).fill('Made by the fleet spec.');
  await dialog.getByLabel('Model').selectOption('gpt-4o');
  await dialog.getByLabel('Daily token budget').fill('50000');
  await screenshots(page, 'fleet-new-agent');
  await dialog.getByRole('button', { name: 'Create agent' }).click();

  await expect(page).toHaveURL(/\/console\/agents\/agent_[0-9a-z]{26}$/);
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  const id = page.url().split('/').pop()!;
  try {
    const agent = await apiOk('GET', `/agents/${id}`);
    expect(agent).toMatchObject({
      name,
      role: 'Writes the changelog',
      description: 'Made by the fleet spec.',
      model: 'gpt-4o',
      config: { limits: { dailyTokenBudget: 50000, monthlyTokenBudget: null } },
    });
  } finally {
    await deleteAgents(id);
  }
});

test('a duplicate name is refused in words', async ({ page }) => {
  const seeded = await seedAgent();
  try {
    await signIn(page);
    await page.getByRole('button', { name: 'New agent' }).click();
    const dialog = page.getByRole('dialog', { name: 'New agent' });
    await dialog.getByLabel('Name').fill(seeded.name.toUpperCase());
    await dialog.getByRole('button', { name: 'Create agent' }).click();
    await expect(dialog.getByRole('alert')).toContainText('Conflict');
    await expect(page).toHaveURL(/\/console\/?$/);
  } finally {
    await deleteAgents(seeded.id);
  }
});

test('a read key sees the fleet without "New agent"', async ({ page }) => {
  await signIn(page, READ_KEY);
  await expect(page.getByTestId('stat-online')).not.toHaveText('…');
  await expect(page.getByRole('button', { name: 'New agent' })).toHaveCount(0);
  expect((await api('POST', '/agents', { key: READ_KEY, body: { name: unique('e2e read') } })).status).toBe(403);
});
