// What the cron pages ask the API. Keys start with 'cron' (runs' sessions with 'sessions') so
// the live stream refreshes them as runs start, finish and deliver.
import { useQuery } from '@tanstack/react-query';
import { useAuth } from '../../api/auth';

export const JOBS_PER_PAGE = 50;
export const RUNS_PER_PAGE = 20;

export function useCronJobs(agentId: string | undefined, offset: number) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['cron', 'jobs', agentId ?? 'all', offset],
    queryFn: async () =>
      (await client.listCronJobs({ query: { limit: JOBS_PER_PAGE, offset, ...(agentId ? { agentId } : {}) } })).data,
    placeholderData: (previous) => previous,
  });
}

export function useCronJob(id: string) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['cron', 'job', id],
    queryFn: async () => (await client.getCronJob({ path: { id } })).data,
  });
}

export function useCronRuns(id: string, offset: number) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['cron', 'runs', id, offset],
    queryFn: async () => (await client.listCronRuns({ path: { id }, query: { limit: RUNS_PER_PAGE, offset } })).data,
    placeholderData: (previous) => previous,
  });
}

/** A run's output: its session's messages, oldest first (the prompt, then the reply). */
export function useSessionMessages(sessionId: string) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['messages', sessionId],
    queryFn: async () => (await client.listMessages({ path: { id: sessionId }, query: { limit: 100 } })).data,
  });
}
