// Removing what a test created through the API (agents, webhooks…), whether it passed or not,
// so that later pages and screenshots show the demo fleet rather than test leftovers.
import { test } from '@playwright/test';
import { api } from './fixtures';

/** Call once at the top of a spec; `remove('/agents/agent_…')` deletes that path after the test. */
export function deleteAfterEach(): (path: string) => void {
  const paths: string[] = [];
  test.afterEach(async () => {
    for (const path of paths.splice(0).reverse()) await api('DELETE', path);
  });
  return (path) => {
    paths.push(path);
  };
}
