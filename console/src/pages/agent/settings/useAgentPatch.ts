// A JSON merge patch of the agent (`PATCH /v1/agents/{id}`), as a mutation each settings form
// owns (its own pending, error and "saved" state). The answer replaces the cached agent.
import type { Agent, AgentPatch } from '@agenfleet/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useAuth } from '../../../api/auth';

export function useAgentPatch(agentId: string, onSaved?: (agent: Agent) => void) {
  const { client } = useAuth();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (patch: AgentPatch) => (await client.updateAgent({ path: { id: agentId }, body: patch })).data,
    onSuccess: (agent) => {
      queryClient.setQueryData(['agents', agentId], agent);
      void queryClient.invalidateQueries({ queryKey: ['agents'] });
      onSaved?.(agent);
    },
  });
}
