// The cron form's state, and how it becomes the API's create body or a merge patch. A patch
// carries only what changed: re-sending an unchanged webhook delivery would mint a new secret.
import type { CreateCronJobRequest, CronDelivery, CronJob, CronJobPatch, OverlapPolicy } from '@agenfleet/sdk';
import { viewerTimeZone } from '../../components/format';
import { timeZones } from './schedule';

export type DeliveryType = CronDelivery['type'];

export interface Draft {
  agentId: string;
  name: string;
  prompt: string;
  schedule: string;
  timezone: string;
  enabled: boolean;
  overlapPolicy: OverlapPolicy;
  deliveryType: DeliveryType;
  /** The delivery's one field: URL, Slack webhook URL, Telegram chat id or email address. */
  deliveryTarget: string;
}

/** Each delivery type's field: its label, input type and name in the API. */
export const DELIVERY_FIELDS: Record<Exclude<DeliveryType, 'none'>, { label: string; input: string; key: string }> = {
  webhook: { label: 'Webhook URL', input: 'url', key: 'url' },
  slack: { label: 'Slack incoming webhook URL', input: 'url', key: 'webhookUrl' },
  telegram: { label: 'Telegram chat id', input: 'text', key: 'chatId' },
  email: { label: 'Email address', input: 'email', key: 'to' },
};

export const DELIVERY_LABELS: Record<DeliveryType, string> = {
  none: 'None (keep the output in the run)',
  webhook: 'Webhook (signed POST)',
  slack: 'Slack',
  telegram: 'Telegram',
  email: 'Email',
};

export function newDraft(agentId = ''): Draft {
  const zone = viewerTimeZone();
  return {
    agentId,
    name: '',
    prompt: '',
    schedule: '0 8 * * 1-5',
    timezone: timeZones().includes(zone) ? zone : 'UTC',
    enabled: true,
    overlapPolicy: 'skip',
    deliveryType: 'none',
    deliveryTarget: '',
  };
}

export function draftOf(job: CronJob): Draft {
  const { delivery } = job;
  return {
    agentId: job.agentId,
    name: job.name,
    prompt: job.prompt,
    schedule: job.schedule,
    timezone: job.timezone,
    enabled: job.enabled,
    overlapPolicy: job.overlapPolicy,
    deliveryType: delivery.type,
    deliveryTarget: deliveryTarget(delivery),
  };
}

export function deliveryTarget(delivery: CronDelivery): string {
  switch (delivery.type) {
    case 'none':
      return '';
    case 'webhook':
      return delivery.url;
    case 'slack':
      return delivery.webhookUrl;
    case 'telegram':
      return String(delivery.chatId);
    case 'email':
      return delivery.to;
  }
}

export function deliveryOf(draft: Draft): CronDelivery {
  const target = draft.deliveryTarget.trim();
  switch (draft.deliveryType) {
    case 'none':
      return { type: 'none' };
    case 'webhook':
      return { type: 'webhook', url: target };
    case 'slack':
      return { type: 'slack', webhookUrl: target };
    case 'telegram':
      return { type: 'telegram', chatId: target };
    case 'email':
      return { type: 'email', to: target };
  }
}

export function createBody(draft: Draft): CreateCronJobRequest {
  return {
    agentId: draft.agentId,
    name: draft.name.trim(),
    prompt: draft.prompt,
    schedule: draft.schedule.trim(),
    timezone: draft.timezone,
    enabled: draft.enabled,
    overlapPolicy: draft.overlapPolicy,
    delivery: deliveryOf(draft),
  };
}

export function patchOf(job: CronJob, draft: Draft): CronJobPatch {
  const next = createBody(draft);
  const patch: CronJobPatch = {};
  if (next.name !== job.name) patch.name = next.name;
  if (next.prompt !== job.prompt) patch.prompt = next.prompt;
  if (next.schedule !== job.schedule) patch.schedule = next.schedule;
  if (next.timezone !== job.timezone) patch.timezone = next.timezone;
  if (next.enabled !== job.enabled) patch.enabled = next.enabled;
  if (next.overlapPolicy !== job.overlapPolicy) patch.overlapPolicy = next.overlapPolicy;
  const delivery = deliveryOf(draft);
  if (delivery.type !== job.delivery.type || deliveryTarget(delivery) !== deliveryTarget(job.delivery)) {
    patch.delivery = delivery;
  }
  return patch;
}

/** "Webhook → https://…" */
export function describeDelivery(delivery: CronDelivery): string {
  if (delivery.type === 'none') return 'None';
  return `${DELIVERY_LABELS[delivery.type].replace(/ \(.*\)$/, '')} → ${deliveryTarget(delivery)}`;
}
