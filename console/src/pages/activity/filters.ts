// The activity page's filters: kept in the URL, sent to the API as query parameters, and applied
// in the browser to entries arriving on the live stream (the same rules as the API's).
import type { ActivityEntry, ActorType, ListActivityData } from '@agenfleet/sdk';
import { fromDateTimeLocal } from '../../components/format';

export interface ActivityFilters {
  /** Comma list of types and prefix patterns like `cron.*`. */
  type: string;
  agentId: string;
  actorType: '' | ActorType;
  /** `datetime-local` values, in the viewer's zone. */
  from: string;
  to: string;
}

export const ACTOR_TYPES: ActorType[] = ['api_key', 'system', 'agent'];
const KEYS = ['type', 'agentId', 'actorType', 'from', 'to'] as const;

export function filtersFromParams(params: URLSearchParams): ActivityFilters {
  const actor = params.get('actorType') ?? '';
  return {
    type: params.get('type') ?? '',
    agentId: params.get('agentId') ?? '',
    actorType: ACTOR_TYPES.find((a) => a === actor) ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
}

export function filtersToParams(filters: ActivityFilters): Record<string, string> {
  const params: Record<string, string> = {};
  for (const key of KEYS) if (filters[key].trim()) params[key] = filters[key].trim();
  return params;
}

export function hasFilters(filters: ActivityFilters): boolean {
  return KEYS.some((key) => filters[key].trim() !== '');
}

type Query = NonNullable<ListActivityData['query']>;

export function filtersToQuery(filters: ActivityFilters): Query {
  const query: Query = {};
  const type = filters.type.replace(/\s+/g, '');
  if (type) query.type = type;
  if (filters.agentId) query.agentId = filters.agentId;
  if (filters.actorType) query.actorType = filters.actorType;
  const from = fromDateTimeLocal(filters.from);
  const to = fromDateTimeLocal(filters.to);
  if (from) query.from = from;
  if (to) query.to = to;
  return query;
}

/** Whether `type` matches a comma list of exact types and prefix patterns (`cron.*`). */
export function typeMatches(patterns: string, type: string): boolean {
  const list = patterns.split(',').map((p) => p.trim()).filter(Boolean);
  if (list.length === 0) return true;
  return list.some((p) => p === '*' || p === type || (p.endsWith('*') && type.startsWith(p.slice(0, -1))));
}

export function entryMatches(entry: ActivityEntry, query: Query): boolean {
  if (query.type && !typeMatches(query.type, entry.type)) return false;
  if (query.agentId && entry.agentId !== query.agentId) return false;
  if (query.actorType && entry.actor.type !== query.actorType) return false;
  const at = Date.parse(entry.timestamp);
  if (query.from && at < Date.parse(query.from)) return false;
  if (query.to && at >= Date.parse(query.to)) return false;
  return true;
}
