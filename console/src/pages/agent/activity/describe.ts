// An activity entry in a few words ("Status online → degraded"), from its type and data. Every
// value is plain text: React escapes it where it is shown.
import type { ActivityEntry } from '@agenfleet/sdk';
import { formatInteger } from '../../../components/format';

type Data = Record<string, unknown>;

const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '?');

export function describeEntry(entry: ActivityEntry): string {
  const data = (entry.data && typeof entry.data === 'object' ? entry.data : {}) as Data;
  switch (entry.type) {
    case 'agent.created':
      return 'Agent created';
    case 'agent.updated':
      return 'Agent settings changed';
    case 'agent.deleted':
      return 'Agent deleted';
    case 'agent.soul_updated':
      return 'SOUL file updated';
    case 'agent.status_changed':
      return `Status ${text(data.from)} → ${text(data.to)}`;
    case 'agent.heartbeat_missed':
      return 'Heartbeat missed';
    case 'agent.budget_alert':
    case 'agent.budget_exhausted': {
      const what = entry.type === 'agent.budget_alert' ? 'Budget alert' : 'Budget used up';
      const used = typeof data.used === 'number' ? formatInteger(data.used) : '?';
      const budget = typeof data.budget === 'number' ? formatInteger(data.budget) : '?';
      return `${what} (${text(data.period)}): ${used} of ${budget} tokens`;
    }
    case 'agent.tool_called':
      return `Tool ${text(data.name)}: ${text(data.status)}${typeof data.durationMs === 'number' ? ` in ${data.durationMs} ms` : ''}`;
    case 'session.created':
      return `Session opened${data.name ? `: ${text(data.name)}` : ''}`;
    case 'session.archived':
      return `Session archived${data.name ? `: ${text(data.name)}` : ''}`;
    case 'message.created':
      return `${data.role === 'assistant' ? 'Reply' : 'Message'} #${text(data.sequence)} in a session`;
    default:
      return entry.type.replace(/[._]/g, ' ');
  }
}

export function describeActor(entry: ActivityEntry): string {
  const { type, id } = entry.actor;
  if (type === 'system') return 'system';
  if (type === 'agent') return 'the agent';
  return `API key ${id}`;
}
