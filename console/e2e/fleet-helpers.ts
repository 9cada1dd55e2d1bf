// Helpers of the fleet, agent, sign-in and security specs: agents and sessions made through the
// API (so the tests need no demo data), the Overview's ranges, and waiting for the live stream.
import type { Page } from '@playwright/test';
import { api, apiOk, unique } from './fixtures';

export interface SeededAgent {
  id: string;
  name: string;
  sessionId: string;
}

/** An agent with a heartbeat, a session, a user message and a priced reply with tool calls. */
export async function seedAgent(overrides: Record<string, unknown> = {}): Promise<SeededAgent> {
  const agent = await apiOk('POST', '/agents', {
    body: {
      name: unique('e2e agent'),
      role: 'End-to-end test subject',
      soul: '# Test agent\n\nMade by the console tests.',
      config: { model: { default: 'gpt-4o-mini' }, limits: { dailyTokenBudget: 1_000_000 } },
      ...overrides,
    },
  });
  await apiOk('POST', `/agents/${agent.id}/heartbeat`, { body: { state: 'ok' } });
  const session = await apiOk('POST', '/sessions', { body: { agentId: agent.id, name: 'Checking the numbers' } });
  await postExchange(session.id, 'How many tickets are open?', 'Twelve tickets are open.');
  return { id: agent.id, name: agent.name, sessionId: session.id };
}

/** A user message and the agent's priced reply (with one successful and one failed tool call). */
export async function postExchange(sessionId: string, question: string, answer: string): Promise<void> {
  await apiOk('POST', `/sessions/${sessionId}/messages`, { body: { content: question } });
  await apiOk('POST', `/sessions/${sessionId}/messages`, {
    body: {
      role: 'assistant',
      content: answer,
      usage: { model: 'gpt-4o-mini', inputTokens: 1200, outputTokens: 340, latencyMs: 850 },
      toolCalls: [
        { name: 'search_tickets', status: 'success', durationMs: 120 },
        { name: 'send_email', status: 'failure', durationMs: 40 },
      ],
    },
  });
}

/** Deletes agents the test made (ignoring those already gone). */
export async function deleteAgents(...ids: (string | undefined)[]): Promise<void> {
  for (const id of ids) if (id) await api('DELETE', `/agents/${id}`);
}

/**
 * Resolves once the page's live activity stream is connected (its response has started), so
 * that what the test does next through the API reaches the page live. Call before navigating.
 */
export function liveStreamConnected(page: Page): Promise<unknown> {
  return page.waitForResponse((response) => response.url().includes('/v1/activity/stream') && response.ok(), {
    timeout: 15_000,
  });
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The Overview's ranges, computed as the page computes them (overview/range.ts). */
export function overviewRange(name: '48h' | '30d', now = Date.now()): { granularity: string; from: string; to: string } {
  const iso = (ms: number) => new Date(ms).toISOString();
  if (name === '30d') {
    const tomorrow = Math.floor(now / DAY) * DAY + DAY;
    return { granularity: 'day', from: iso(tomorrow - 30 * DAY), to: iso(tomorrow) };
  }
  const nextHour = Math.floor(now / HOUR) * HOUR + HOUR;
  return { granularity: 'hour', from: iso(nextHour - 48 * HOUR), to: iso(nextHour) };
}
