// What the agent page asks the API. Keys start with 'agents', 'metrics', 'sessions', 'messages'
// or 'activity' so that the live activity stream refreshes them (live/activity.tsx).
import type { Granularity } from '@agenfleet/sdk';
import { useQuery } from '@tanstack/react-query';
import { useAuth } from '../../api/auth';

export function useAgent(id: string) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['agents', id],
    queryFn: async () => (await client.getAgent({ path: { id } })).data,
  });
}

/** The agent's usage series over [from, to) per hour or UTC day. */
export function useAgentSeries(id: string, granularity: Granularity, from: string, to: string) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['metrics', 'agent', id, granularity, from, to],
    queryFn: async () =>
      (await client.getAgentMetrics({ path: { id }, query: { granularity, from, to } })).data.series,
    placeholderData: (previous) => previous,
  });
}

/** The SOUL file (Markdown; empty when none). */
export function useSoul(id: string) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['agents', id, 'soul'],
    queryFn: async () => (await client.getAgentSoul({ path: { id } })).data ?? '',
  });
}
