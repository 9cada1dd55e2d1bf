// The agent page against the API: Overview charts and totals, live activity, sessions (messages
// with usage and tool calls, archive, prune), settings (budgets, tools, model, gateway secret,
// SOUL) and deletion — each change checked through the API afterwards.
import { expect, test, type Page } from '@playwright/test';
import { formatInteger, formatUsd, startOfUtcMonth, toDateTimeLocal } from '../src/components/format';
import { api, apiOk, READ_KEY, screenshots, signIn } from './fixtures';
import { deleteAgents, liveStreamConnected, overviewRange, postExchange, seedAgent, type SeededAgent } from './fleet-helpers';
import { allItems } from './lists';

let agent: SeededAgent;
test.beforeEach(async () => {
  agent = await seedAgent();
});
test.afterEach(async () => {
  await deleteAgents(agent.id);
});

function sums(series: any[]) {
  const total = { input: 0, output: 0, cost: 0, messages: 0, calls: 0, failures: 0 };
  for (const b of series) {
    total.input += b.inputTokens;
    total.output += b.outputTokens;
    total.cost += b.costUsd;
    total.messages += b.messages;
    total.calls += b.toolCalls;
    total.failures += b.toolFailures;
  }
  total.cost = Math.round(total.cost * 1e6) / 1e6;
  return total;
}

/** The Overview's totals equal the sums of the API's series over the same range. */
async function expectTotalsMatch(page: Page, agentId: string, range: '48h' | '30d') {
  await expect(async () => {
    const { granularity, from, to } = overviewRange(range);
    const answer = await apiOk('GET', `/agents/${agentId}/metrics?granularity=${granularity}&from=${from}&to=${to}`);
    const total = sums(answer.series);
    const shown = (id: string) => page.getByTestId(`total-${id}`);
    await expect(shown('input-tokens')).toHaveText(formatInteger(total.input), { timeout: 500 });
    await expect(shown('output-tokens')).toHaveText(formatInteger(total.output), { timeout: 500 });
    await expect(shown('cost')).toHaveText(formatUsd(total.cost), { timeout: 500 });
    await expect(shown('messages')).toHaveText(formatInteger(total.messages), { timeout: 500 });
    await expect(shown('tool-calls')).toHaveText(formatInteger(total.calls), { timeout: 500 });
    await expect(shown('tool-failures')).toHaveText(formatInteger(total.failures), { timeout: 500 });
  }).toPass({ timeout: 20_000 });
}

test('Overview: charts render and the totals are the API\'s', async ({ page }) => {
  // The busiest agent of the month (a demo agent when there is a demo fleet; else ours).
  const [busiest] = await allItems(`/metrics/agents?from=${startOfUtcMonth()}`);
  const id = busiest && busiest.costUsd > 0 ? busiest.agentId : agent.id;
  const subject = await apiOk('GET', `/agents/${id}`);
  await signIn(page);
  await page.goto(`/console/agents/${id}`);
  await expect(page.getByRole('heading', { level: 1, name: subject.name })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');

  const charts = page.locator('figure.chart');
  await expect(charts).toHaveCount(4);
  for (const chart of await charts.all()) await expect(chart.locator('canvas')).toHaveCount(1);
  await expectTotalsMatch(page, id, '48h');
  await expect(async () => {
    const now = await apiOk('GET', `/agents/${id}`);
    await expect(page.getByTestId('today-tokens-in')).toHaveText(formatInteger(now.tokensTodayInput), { timeout: 500 });
    await expect(page.getByTestId('today-tokens-out')).toHaveText(formatInteger(now.tokensTodayOutput), { timeout: 500 });
  }).toPass({ timeout: 15_000 });
  await screenshots(page, 'agent-overview');

  await page.getByRole('button', { name: '30 days' }).click();
  await expect(page).toHaveURL(/\?range=30d$/);
  await expect(page.getByRole('heading', { name: 'Last 30 days, per day' })).toBeVisible();
  await expectTotalsMatch(page, id, '30d');
  await screenshots(page, 'agent-overview-30-days');
});

test('Activity: the agent\'s entries, newest first, and new ones live', async ({ page }) => {
  await signIn(page);
  const connected = liveStreamConnected(page);
  await page.goto(`/console/agents/${agent.id}/activity`);
  const entries = page.getByTestId('activity-entry');
  await expect(async () => {
    const newest = await apiOk('GET', `/activity?agentId=${agent.id}&limit=5`);
    await expect(entries.first()).toHaveAttribute('data-type', newest.data[0].type, { timeout: 500 });
    await expect(entries).toHaveCount(newest.pagination.total, { timeout: 500 });
  }).toPass({ timeout: 10_000 });

  await connected;
  await apiOk('POST', `/agents/${agent.id}/heartbeat`, { body: { state: 'degraded' } });
  await expect(entries.first()).toHaveAttribute('data-type', 'agent.status_changed', { timeout: 2_000 });
  await expect(entries.first()).toContainText('Status online → degraded');
  // The header follows too.
  await expect(page.locator('.title-row').getByText('degraded', { exact: true })).toBeVisible({ timeout: 2_000 });
  await entries.first().getByText('Status online → degraded').click();
  await expect(entries.first().locator('pre')).toContainText('"to": "degraded"');
  await screenshots(page, 'agent-activity');
});

test('Sessions: read messages with usage and tool calls, archive one, prune the rest', async ({ page }) => {
  const second = await apiOk('POST', '/sessions', { body: { agentId: agent.id, name: 'Second conversation' } });
  await postExchange(second.id, 'Any incidents?', 'None today.');
  const third = await apiOk('POST', '/sessions', { body: { agentId: agent.id, name: 'Third conversation' } });
  await signIn(page);
  await page.goto(`/console/agents/${agent.id}/sessions`);

  const rows = page.getByTestId('sessions-table').locator('tbody tr');
  await expect(rows).toHaveCount(3);
  const listed = await apiOk('GET', `/sessions?agentId=${agent.id}`);
  for (const session of listed.data) {
    const row = page.locator(`tr[data-session-id="${session.id}"]`);
    await expect(row.getByRole('link', { name: session.name })).toBeVisible();
    await expect(row.locator('td.num').nth(0)).toHaveText(formatInteger(session.messageCount));
    await expect(row.locator('td.num').nth(1)).toHaveText(formatInteger(session.tokenCount));
  }
  await screenshots(page, 'agent-sessions');

  // Read the first session: its messages, the reply's usage and tool calls, as the API has them.
  await page.getByRole('link', { name: 'Checking the numbers' }).click();
  await expect(page).toHaveURL(new RegExp(`/sessions/${agent.sessionId}$`));
  const messages = await apiOk('GET', `/sessions/${agent.sessionId}/messages`);
  const shown = page.getByTestId('message');
  await expect(shown).toHaveCount(messages.data.length);
  const reply = messages.data.find((m: any) => m.role === 'assistant');
  const replyShown = page.locator(`[data-message-id="${reply.id}"]`);
  await expect(replyShown).toContainText(reply.content);
  await expect(replyShown).toContainText(reply.usage.model);
  await expect(replyShown).toContainText(formatUsd(reply.usage.costUsd));
  await expect(replyShown).toContainText(`${formatInteger(reply.usage.inputTokens)} / ${formatInteger(reply.usage.outputTokens)}`);
  for (const call of reply.toolCalls) await expect(replyShown.getByRole('list', { name: 'Tool calls' })).toContainText(call.name);
  await screenshots(page, 'agent-session-messages');

  // Archive it here, after confirming.
  await page.getByRole('button', { name: 'Archive' }).click();
  await page.getByRole('dialog', { name: 'Archive this session?' }).getByRole('button', { name: 'Archive session' }).click();
  await expect(page.locator('.toolbar').getByText('archived', { exact: true })).toBeVisible();
  expect((await apiOk('GET', `/sessions/${agent.sessionId}`)).status).toBe('archived');

  // Prune the others: every active session inactive since before a minute from now.
  await page.getByRole('link', { name: '← All sessions' }).click();
  const active = await apiOk('GET', `/sessions?agentId=${agent.id}&status=active`);
  expect(active.pagination.total).toBe(2);
  await page.getByLabel('Inactive since before').fill(toDateTimeLocal(new Date(Date.now() + 120_000).toISOString()));
  await page.getByRole('button', { name: 'Prune…' }).click();
  await page.getByRole('dialog', { name: 'Archive inactive sessions?' }).getByRole('button', { name: 'Archive them' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Archived' })).toHaveText('Archived 2 sessions.');
  for (const id of [second.id, third.id]) expect((await apiOk('GET', `/sessions/${id}`)).status).toBe('archived');
  await expect(page.getByTestId('sessions-table').getByText('active', { exact: true })).toHaveCount(0);
});

test('Settings: budgets, tools, model, gateway and SOUL are saved through the API', async ({ page }) => {
  await signIn(page);
  await page.goto(`/console/agents/${agent.id}/settings`);

  const budgets = page.locator('form', { has: page.getByRole('heading', { name: 'Budgets' }) });
  await budgets.getByLabel('Daily token budget').fill('250000');
  await budgets.getByLabel('Monthly token budget').fill('5000000');
  await budgets.getByLabel('Alert at (% of a budget)').fill('90');
  await budgets.getByRole('button', { name: 'Save budgets' }).click();
  await expect(budgets.getByRole('status')).toHaveText('Saved');
  expect((await apiOk('GET', `/agents/${agent.id}`)).config.limits).toEqual({
    dailyTokenBudget: 250000,
    monthlyTokenBudget: 5000000,
    alertThreshold: 0.9,
  });
  // Emptied: no budget (null).
  await budgets.getByLabel('Monthly token budget').fill('');
  await budgets.getByRole('button', { name: 'Save budgets' }).click();
  await expect(budgets.getByRole('status')).toHaveText('Saved');
  expect((await apiOk('GET', `/agents/${agent.id}`)).config.limits.monthlyTokenBudget).toBeNull();

  const tools = page.locator('form', { has: page.getByRole('heading', { name: 'Tools' }) });
  await tools.getByLabel('Tool name').fill('Bad Name');
  await expect(tools.getByRole('button', { name: 'Add tool' })).toBeDisabled();
  await tools.getByLabel('Tool name').fill('crm_lookup');
  await tools.getByRole('button', { name: 'Add tool' }).click();
  await tools.getByRole('button', { name: 'Save tools' }).click();
  await expect(tools.getByRole('status')).toHaveText('Saved');
  expect((await apiOk('GET', `/agents/${agent.id}`)).config.tools.allowed).toEqual(['crm_lookup']);

  const model = page.locator('form', { has: page.getByRole('heading', { name: 'Model', exact: true }) });
  await model.getByLabel('Default model').selectOption('claude-sonnet-4-20250514');
  await model.getByLabel('Add a fallback').selectOption('gpt-4o');
  await model.getByRole('button', { name: 'Add fallback' }).click();
  await model.getByRole('button', { name: 'Save model' }).click();
  await expect(model.getByRole('status')).toHaveText('Saved');
  const saved = await apiOk('GET', `/agents/${agent.id}`);
  expect(saved.config.model).toEqual({ default: 'claude-sonnet-4-20250514', fallbacks: ['gpt-4o'] });
  await expect(page.locator('.agent-meta')).toContainText('claude-sonnet-4-20250514');

  const gateway = page.locator('form', { has: page.getByRole('heading', { name: 'Gateway' }) });
  await gateway.getByLabel('Gateway URL').fill('https://gateway.example.com/agenfleet');
  await gateway.getByRole('button', { name: 'Save gateway' }).click();
  await expect(gateway.getByTestId('secret')).toHaveText(/^whsec_/);
  expect((await apiOk('GET', `/agents/${agent.id}`)).config.gateway).toEqual({ url: 'https://gateway.example.com/agenfleet' });

  const soulText = '# Release notes writer\n\nYou write **short** release notes.\n\n- One line per change\n- Link the PR\n';
  const soul = page.locator('form', { has: page.getByRole('heading', { name: 'SOUL file' }) });
  await soul.getByLabel('SOUL (Markdown)').fill(soulText);
  const preview = page.getByTestId('soul-preview');
  await expect(preview.getByRole('heading', { name: 'Release notes writer' })).toBeVisible();
  await expect(preview.locator('strong')).toHaveText('short');
  await expect(preview.getByRole('listitem')).toHaveCount(2);
  await soul.getByRole('button', { name: 'Save SOUL' }).click();
  await expect(soul.getByRole('status')).toHaveText('Saved');
  expect((await api('GET', `/agents/${agent.id}/soul`)).body).toBe(soulText);
  await screenshots(page, 'agent-settings');
});

test('Deleting the agent asks for its name, then goes back to the fleet', async ({ page }) => {
  await signIn(page);
  await page.goto(`/console/agents/${agent.id}/settings`);
  await page.getByRole('button', { name: 'Delete agent…' }).click();
  const dialog = page.getByRole('dialog', { name: `Delete ${agent.name}?` });
  const confirm = dialog.getByRole('button', { name: 'Delete agent' });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(/^Type/).fill(agent.name.slice(0, -1));
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(/^Type/).fill(agent.name);
  await confirm.click();
  await expect(page.getByRole('heading', { level: 1, name: 'Fleet' })).toBeVisible();
  await expect(page.getByRole('link', { name: agent.name })).toHaveCount(0);
  expect((await api('GET', `/agents/${agent.id}`)).status).toBe(404);
});

test('A read key sees every tab and no write control', async ({ page }) => {
  await signIn(page, READ_KEY);
  const writeControls = page.getByRole('button', { name: /^(save\b|delete\b|archive\b|prune|new agent|add (tool|fallback)|remove\b)/i });
  await expect(page.getByTestId('stat-online')).not.toHaveText('…');
  await expect(writeControls).toHaveCount(0);

  await page.goto(`/console/agents/${agent.id}`);
  await expect(page.locator('figure.chart canvas')).toHaveCount(4);
  await expect(writeControls).toHaveCount(0);

  await page.getByRole('link', { name: 'Sessions' }).click();
  await expect(page.getByTestId('sessions-table')).toBeVisible();
  await expect(writeControls).toHaveCount(0);
  await expect(page.getByLabel('Inactive since before')).toHaveCount(0);
  await page.getByRole('link', { name: 'Checking the numbers' }).click();
  await expect(page.getByTestId('message')).toHaveCount(2);
  await expect(writeControls).toHaveCount(0);

  await page.goto(`/console/agents/${agent.id}/settings`);
  await expect(page.getByText('You are signed in with a read key')).toBeVisible();
  await expect(page.getByTestId('soul-preview').getByRole('heading', { name: 'Test agent' })).toBeVisible();
  await expect(page.getByRole('definition').filter({ hasText: /^gpt-4o-mini$/ })).toBeVisible();
  await expect(page.getByRole('definition').filter({ hasText: /^1,000,000 tokens$/ })).toBeVisible();
  await expect(writeControls).toHaveCount(0);
  await expect(page.locator('input, textarea, select')).toHaveCount(0);
  await screenshots(page, 'agent-settings-read-only');
});
