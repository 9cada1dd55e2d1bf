// What the fleet page asks the API. Keys start with 'agents' or 'metrics' so that the live
// activity stream refreshes them (live/activity.tsx); one request per list page, never one per card.
// Each query is defined once (`…Query(client, …)`) for the page's hooks and for `prefetchFleet`,
// which main.tsx calls at start-up when the console opens on the fleet page.
import type { AgenFleet, Agent, AgentMetrics } from '@agenfleet/sdk';
import { queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { allPages } from '../../api/allPages';
import { useAuth } from '../../api/auth';
import { startOfUtcDay, startOfUtcMonth } from '../../components/format';

/** Every agent of the tenant, oldest first (pages of 100, fetched side by side). */
const fleetAgentsQuery = (client: AgenFleet) =>
  queryOptions({
    queryKey: ['agents', 'fleet'],
    queryFn: () => allPages<Agent>((page) => client.listAgents({ query: { ...page, order: 'asc' } })),
  });

/** Every agent's usage since `from` (the start of the UTC day). Plain arrays of plain objects:
 *  react-query's structural sharing keeps unchanged rows identical, so memoised cards skip them. */
const agentUsageQuery = (client: AgenFleet, from: string) =>
  queryOptions({
    queryKey: ['metrics', 'agents', from, 'fleet'],
    queryFn: () => allPages<AgentMetrics>((page) => client.listAgentMetrics({ query: { ...page, from } })),
  });

/** The tenant's summary over [from, now) (the API's default `to` is the end of the UTC day). */
const summaryQuery = (client: AgenFleet, from: string) =>
  queryOptions({
    queryKey: ['metrics', 'summary', from, 'fleet'],
    queryFn: async () => (await client.getMetricsSummary({ query: { from } })).data,
  });

export function useFleetAgents() {
  return useQuery(fleetAgentsQuery(useAuth().client));
}

export function useAgentUsage(from: string) {
  return useQuery(agentUsageQuery(useAuth().client, from));
}

export function useSummary(from: string) {
  return useQuery(summaryQuery(useAuth().client, from));
}

/** Starts the fleet page's requests before React has rendered it (they then render together). */
export function prefetchFleet(queryClient: QueryClient, client: AgenFleet, now = new Date()): void {
  const day = startOfUtcDay(now);
  void queryClient.prefetchQuery(fleetAgentsQuery(client));
  void queryClient.prefetchQuery(agentUsageQuery(client, day));
  void queryClient.prefetchQuery(summaryQuery(client, day));
  void queryClient.prefetchQuery(summaryQuery(client, startOfUtcMonth(now)));
}
