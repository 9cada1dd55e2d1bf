// Every API key of the tenant (no secrets): the keys page lists them, the activity log names the
// key behind an entry.
import type { ApiKey } from '@agenfleet/sdk';
import { useQuery } from '@tanstack/react-query';
import { useAuth } from './auth';

export function useApiKeys() {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['api-keys', 'list'],
    queryFn: async () => {
      const keys: ApiKey[] = [];
      for await (const key of client.paginate((page) => client.listApiKeys({ query: page }))) keys.push(key);
      return keys;
    },
  });
}
