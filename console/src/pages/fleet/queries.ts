// What the fleet page asks the API. Keys start with 'agents' or 'metrics' so that the live
// activity stream refreshes them (live/activity.tsx); one request per list page, never one per card.
import type { Agent, AgentMetrics } from '@agenfleet/sdk';
import { useQuery } from '@tanstack/react-query';
import { allPages } from '../../api/allPages';
import { useAuth } from '../../api/auth';

/** Every agent of the tenant, oldest first (pages of 100, fetched side by side). */
export function useFleetAgents() {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['agents', 'fleet'],
    queryFn: () => allPages<Agent>((page) => client.listAgents({ query: { ...page, order: 'asc' } })),
  });
}

/** Every agent's usage since `from` (the start of the UTC day). Plain arrays of plain objects:
 *  react-query's structural sharing keeps unchanged rows identical, so memoised cards skip them. */
export function useAgentUsage(from: string) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['metrics', 'agents', from, 'fleet'],
    queryFn: () => allPages<AgentMetrics>((page) => client.listAgentMetrics({ query: { ...page, from } })),
  });
}

/** The tenant's summary over [from, now) (the API's default `to` is the end of the UTC day). */
export function useSummary(from: string) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['metrics', 'summary', from, 'fleet'],
    queryFn: async () => (await client.getMetricsSummary({ query: { from } })).data,
  });
}
