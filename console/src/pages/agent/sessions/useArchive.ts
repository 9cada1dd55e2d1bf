// Archiving a session, then refreshing what it changes (lists, the agent's open count).
import { useQueryClient } from '@tanstack/react-query';
import { useAuth } from '../../../api/auth';

export function useArchive(): (sessionId: string) => Promise<void> {
  const { client } = useAuth();
  const queryClient = useQueryClient();
  return async (sessionId) => {
    await client.archiveSession({ path: { id: sessionId } });
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: ['sessions'] }),
      queryClient.invalidateQueries({ queryKey: ['agents'] }),
    ]);
  };
}
