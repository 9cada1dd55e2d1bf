// Cron jobs in the console, checked through the API: create one (schedule checked as typed and
// said in words), see it listed with its next run in both zones, run it now, see the run and its
// output, edit it (the API's 400 shown), delete it.
import { expect, test } from '@playwright/test';
import { formatDateTime } from '../src/components/format';
import { api, apiOk, READ_KEY, screenshots, signIn, unique } from './fixtures';
import { allItems } from './lists';
import { deleteAfterEach } from './cleanup';

const ZONE = 'Asia/Tokyo';
const remove = deleteAfterEach();

/** An agent for the test, deleted after it (with its cron jobs). */
async function newAgent() {
  const agent = await apiOk('POST', '/agents', { body: { name: unique('Cron agent') } });
  remove(`/agents/${agent.id}`);
  return agent;
}

test('create a cron job, run it now, see the run and its output', async ({ page }) => {
  const agent = await newAgent();
  const name = unique('Weekday digest');
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cron jobs' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Cron jobs' })).toBeVisible();
  await page.getByRole('link', { name: 'New cron job' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New cron job' })).toBeVisible();

  await page.getByLabel('Agent').selectOption(agent.id);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Prompt').fill('Summarise the open tickets.');
  // Checked as it is typed: four fields are not a schedule, five are, said in words.
  const schedule = page.getByLabel('Schedule');
  await schedule.fill('0 8 * *');
  await expect(page.getByTestId('schedule-words')).toContainText('5 fields');
  await expect(schedule).toHaveAttribute('aria-invalid', 'true');
  await schedule.fill('0 8 * * 1-5');
  await expect(page.getByTestId('schedule-words')).toHaveText('At 08:00, Monday through Friday');
  await page.getByLabel('Time zone').selectOption(ZONE);
  await page.getByRole('button', { name: 'Create cron job' }).click();
  const viewerZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);

  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  const [job] = await allItems(`/cron-jobs?agentId=${agent.id}`);
  expect(job).toMatchObject({ name, schedule: '0 8 * * 1-5', timezone: ZONE, enabled: true, prompt: 'Summarise the open tickets.' });
  expect(page.url()).toContain(`/console/cron/${job.id}`);
  // The next run in the job's zone and in the viewer's.
  const nextRun = page.getByTestId('next-run');
  await expect(nextRun).toContainText(`${formatDateTime(job.nextRunAt, ZONE)} ${ZONE}`);
  await expect(nextRun).toContainText(`${formatDateTime(job.nextRunAt, viewerZone)} your time (${viewerZone})`);

  // Run now: the run appears, and exists in the API.
  await page.getByRole('button', { name: 'Run now' }).click();
  const runs = page.getByTestId('cron-runs');
  await expect(runs.locator('tbody tr[data-run-id]')).toHaveCount(1);
  const [run] = await allItems(`/cron-jobs/${job.id}/runs`);
  expect(run.status).toBe('running');
  await expect(runs.locator(`tr[data-run-id="${run.id}"]`)).toContainText('running');

  // The agent replies (as its runtime would): the run succeeds live, and its output is shown.
  const reply = `Three tickets are open (${name}).`;
  await apiOk('POST', `/sessions/${run.sessionId}/messages`, {
    body: { role: 'assistant', content: reply, usage: { model: 'claude-haiku-3.5', inputTokens: 420, outputTokens: 42 } },
  });
  await expect(runs.locator(`tr[data-run-id="${run.id}"]`)).toContainText('succeeded');
  expect((await apiOk('GET', `/cron-jobs/${job.id}/runs/${run.id}`)).status).toBe('succeeded');
  await runs.locator(`tr[data-run-id="${run.id}"]`).getByRole('button', { name: 'Output' }).click();
  await expect(page.getByText(reply)).toBeVisible();
  await expect(page.getByText('Summarise the open tickets.', { exact: true }).last()).toBeVisible();
  await screenshots(page, 'cron-job');

  // Listed with the schedule in words.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cron jobs' }).click();
  const row = page.getByTestId('cron-jobs').locator(`tr[data-job-id="${job.id}"]`);
  await expect(row).toContainText('At 08:00, Monday through Friday');
  await expect(row).toContainText(ZONE);
  await screenshots(page, 'cron');
});

test('edit a cron job: the API refusing a field is said next to it', async ({ page }) => {
  const agent = await newAgent();
  const job = await apiOk('POST', '/cron-jobs', {
    body: { agentId: agent.id, name: unique('Hourly check'), prompt: 'Check the queue.', schedule: '0 * * * *' },
  });
  await signIn(page);
  await page.goto(`/console/cron/${job.id}`);
  await page.getByRole('link', { name: 'Edit' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Edit ${job.name}` })).toBeVisible();
  await expect(page.getByLabel('Agent')).toBeDisabled();

  await page.getByLabel('Schedule').fill('*/15 * * * *');
  await expect(page.getByTestId('schedule-words')).toHaveText('Every 15 minutes');
  await page.getByLabel('Deliver the output to').selectOption('webhook');
  await page.getByLabel('Webhook URL').fill('ftp://example.com/not-http');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('alert')).toContainText('Please check the form');
  await expect(page.getByLabel('Webhook URL')).toHaveAttribute('aria-invalid', 'true');
  expect((await apiOk('GET', `/cron-jobs/${job.id}`)).schedule).toBe('0 * * * *');

  // Without a delivery the change goes through.
  await page.getByLabel('Deliver the output to').selectOption('none');
  await page.getByRole('button', { name: 'Save changes' }).click();
  // Exactly the job's name: the form's heading ("Edit …") contains it too.
  await expect(page.getByRole('heading', { level: 1, name: job.name, exact: true })).toBeVisible();
  expect(await apiOk('GET', `/cron-jobs/${job.id}`)).toMatchObject({ schedule: '*/15 * * * *', delivery: { type: 'none' } });

  // Disable, then delete with confirmation.
  await page.getByRole('button', { name: 'Disable' }).click();
  await expect(page.getByRole('button', { name: 'Enable' })).toBeVisible();
  expect((await apiOk('GET', `/cron-jobs/${job.id}`)).enabled).toBe(false);
  await page.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog', { name: `Delete ${job.name}?` });
  await dialog.getByRole('button', { name: 'Delete the job' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Cron jobs' })).toBeVisible();
  expect((await api('GET', `/cron-jobs/${job.id}`)).status).toBe(404);
});

test('a read key sees cron jobs and no write control', async ({ page }) => {
  const agent = await newAgent();
  const job = await apiOk('POST', '/cron-jobs', {
    body: { agentId: agent.id, name: unique('Read-only view'), prompt: 'Hello.', schedule: '30 6 * * *' },
  });
  await apiOk('POST', `/cron-jobs/${job.id}/run`);
  await signIn(page, READ_KEY);
  await page.goto('/console/cron');
  await expect(page.getByTestId('cron-jobs').locator(`tr[data-job-id="${job.id}"]`)).toBeVisible();
  await expect(page.getByRole('link', { name: 'New cron job' })).toHaveCount(0);

  await page.goto(`/console/cron/${job.id}`);
  await expect(page.getByRole('heading', { level: 1, name: job.name })).toBeVisible();
  await expect(page.getByTestId('cron-runs').locator('tbody tr')).toHaveCount(1);
  for (const name of ['Run now', 'Disable', 'Enable', 'Delete']) {
    await expect(page.getByRole('button', { name })).toHaveCount(0);
  }
  await expect(page.getByRole('link', { name: 'Edit' })).toHaveCount(0);
});
