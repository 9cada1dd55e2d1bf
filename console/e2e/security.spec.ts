// What users type is shown, never run: an agent name, a SOUL file and a session message carrying
// <img onerror> and <script> are displayed literally (name, message) or sanitised (SOUL preview)
// on every page that shows them, and nothing they carry executes.
import { expect, test, type Page } from '@playwright/test';
import { apiOk, screenshots, signIn } from './fixtures';
import { deleteAgents } from './fleet-helpers';

const IMG = '<img src=x onerror="window.__xss=1">';
const SCRIPT = '<script>window.__xss=1</script>';
const PAYLOAD = `${IMG}${SCRIPT}`;

const tab = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Agent sections' }).getByRole('link', { name });

async function expectNothingRan(page: Page, dialogs: string[]) {
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  expect(dialogs).toEqual([]);
}

test('names, SOUL files and messages are shown as text or sanitised, never run', async ({ page }) => {
  const name = `${PAYLOAD} ${Date.now().toString(36)}`;
  expect(name.length).toBeLessThanOrEqual(100);
  const soul = [
    '# Hostile SOUL',
    '',
    PAYLOAD,
    '',
    '[a link](javascript:window.__xss=1)',
    '',
    '<a href="javascript:window.__xss=1">raw link</a> <iframe src="javascript:window.__xss=1"></iframe>',
    '<svg onload="window.__xss=1"></svg>',
  ].join('\n');
  const agent = await apiOk('POST', '/agents', { body: { name, role: PAYLOAD, description: PAYLOAD, soul } });
  try {
    const session = await apiOk('POST', '/sessions', { body: { agentId: agent.id, name: PAYLOAD } });
    await apiOk('POST', `/sessions/${session.id}/messages`, { body: { content: PAYLOAD } });
    await apiOk('POST', `/sessions/${session.id}/messages`, {
      body: {
        role: 'assistant',
        content: `Echo: ${PAYLOAD}`,
        usage: { model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 5 },
        toolCalls: [{ name: 'web_search', status: 'success', durationMs: 5 }],
      },
    });

    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await signIn(page);

    // Fleet: the card shows the name as typed.
    const card = page.locator(`[data-agent-id="${agent.id}"]`);
    await expect(card.getByRole('link', { name, exact: true })).toBeVisible();
    await expect(card.locator('.agent-role')).toHaveText(PAYLOAD);
    await expect(card.locator('img, script')).toHaveCount(0);
    await expectNothingRan(page, dialogs);

    // Agent page: the heading is the name as typed.
    await card.getByRole('link', { name, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
    await expect(page.locator('.agent-header img, .agent-header script')).toHaveCount(0);
    await expectNothingRan(page, dialogs);

    // Sessions and the session's messages: literally.
    await tab(page, 'Sessions').click();
    await page.getByRole('link', { name: PAYLOAD, exact: true }).click();
    await expect(page.getByRole('heading', { level: 2, name: PAYLOAD })).toBeVisible();
    const messages = page.getByTestId('message');
    await expect(messages).toHaveCount(2);
    await expect(messages.nth(0).locator('.message-content')).toHaveText(PAYLOAD);
    await expect(messages.nth(1).locator('.message-content')).toHaveText(`Echo: ${PAYLOAD}`);
    await expect(page.getByTestId('messages').locator('img, script')).toHaveCount(0);
    await expectNothingRan(page, dialogs);

    // Settings: the SOUL in the editor is the text; its preview is sanitised Markdown.
    await tab(page, 'Settings').click();
    await expect(page.getByLabel('SOUL (Markdown)')).toHaveValue(soul);
    const preview = page.getByTestId('soul-preview');
    await expect(preview.getByRole('heading', { name: 'Hostile SOUL' })).toBeVisible();
    const html = await preview.innerHTML();
    expect(html).not.toMatch(/<script|onerror|onload|javascript:|<iframe/i);
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue(name);
    await screenshots(page, 'security-soul-preview');
    // Typing more into the editor re-renders the preview: still nothing runs.
    await page.getByLabel('SOUL (Markdown)').fill(`${soul}\n\n<img src=y onerror="window.__xss=2">`);
    await expect(preview.locator('img[onerror]')).toHaveCount(0);
    expect(await preview.innerHTML()).not.toMatch(/onerror|javascript:/i);

    // The activity tab shows entries whose data carry the name: as text.
    await tab(page, 'Activity').click();
    await page.getByTestId('activity-entry').last().locator('summary').click();
    await expect(page.getByTestId('activity-entry').last().locator('pre')).toContainText(`"name": ${JSON.stringify(name)}`);
    await expect(page.getByTestId('activity-list').locator('img, script')).toHaveCount(0);
    await expectNothingRan(page, dialogs);
  } finally {
    await deleteAgents(agent.id);
  }
});

// The Content-Security-Policy the API sends (no inline script or style, no eval) holds for the
// whole app: no page does anything it forbids — a violation would mean a feature that works only
// because a browser was lenient, or a library probing for eval (zod does, if SDK validation were turned on).
test('no page violates the Content-Security-Policy', async ({ page }) => {
  const violations: string[] = [];
  await page.exposeFunction('__reportViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __reportViolation: (text: string) => void }).__reportViolation;
      report(`${event.violatedDirective} ${event.blockedURI} at ${event.sourceFile}:${event.lineNumber}`);
    });
  });
  const response = await page.goto('/console/sign-in');
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  await signIn(page);
  const agents = await apiOk('GET', '/agents?limit=1');
  const pages = ['/console/cost', '/console/cron', '/console/webhooks', '/console/activity', '/console/settings/api-keys'];
  if (agents.data[0]) {
    const id = agents.data[0].id;
    pages.push(`/console/agents/${id}`, `/console/agents/${id}/sessions`, `/console/agents/${id}/settings`);
  }
  for (const path of pages) {
    await page.goto(path);
    // The page's own title (a SOUL preview on an agent's settings may hold an h1 of its own).
    await expect(page.getByRole('heading', { level: 1 }).first()).toBeVisible();
    // Let the page's data arrive and render (the activity stream never lets the network idle).
    await page.waitForTimeout(750);
  }
  expect(violations).toEqual([]);
});
