// Every agent of the tenant, for pages that show agents by name (cost, cron, activity) or pick
// one. One cached list (query key under 'agents', so the live stream refreshes it).
import type { Agent } from '@agenfleet/sdk';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { compareNames } from '../components/format';
import { useAuth } from './auth';

export function useAllAgents() {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['agents', 'lookup'],
    queryFn: async () => {
      const agents: Agent[] = [];
      for await (const agent of client.paginate((page) => client.listAgents({ query: { ...page, order: 'asc' } }))) {
        agents.push(agent);
      }
      return agents.sort((a, b) => compareNames(a.name, b.name));
    },
    staleTime: 30_000,
  });
}

/** Agent id → agent, from `useAllAgents` (empty while loading). */
export function useAgentsById(): Map<string, Agent> {
  const { data } = useAllAgents();
  return useMemo(() => new Map((data ?? []).map((agent) => [agent.id, agent])), [data]);
}
