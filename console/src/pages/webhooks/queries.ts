// What the webhook pages ask the API. Keys start with 'webhooks' so the live stream refreshes
// them; deliveries also poll while one is pending.
import type { Delivery, DeliveryStatus, Webhook } from '@agenfleet/sdk';
import { useQuery } from '@tanstack/react-query';
import { useAuth } from '../../api/auth';

export const DELIVERIES_PER_PAGE = 20;

/**
 * How soon to look again at pending deliveries: just after the next attempt is due (attempts are
 * not activity entries, so the live stream does not announce them), between 2 and 10 seconds. Not
 * later: while a dispatcher is sending, the delivery's next attempt reads as the end of its lease
 * (the send timeout and 5 s), though the attempt's answer is usually in within a second.
 */
function pollInterval(deliveries: Delivery[] | undefined): number | false {
  const due = (deliveries ?? [])
    .filter((delivery) => delivery.status === 'pending')
    .map((delivery) => (delivery.nextAttemptAt ? Date.parse(delivery.nextAttemptAt) : Date.now()));
  if (due.length === 0) return false;
  return Math.min(Math.max(Math.min(...due) - Date.now() + 1_000, 2_000), 10_000);
}

export function useWebhooks() {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['webhooks', 'list'],
    queryFn: async () => {
      const webhooks: Webhook[] = [];
      for await (const webhook of client.paginate((page) => client.listWebhooks({ query: page }))) {
        webhooks.push(webhook);
      }
      return webhooks;
    },
  });
}

export function useWebhook(id: string) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['webhooks', 'one', id],
    queryFn: async () => (await client.getWebhook({ path: { id } })).data,
  });
}

export function useDeliveries(id: string, status: DeliveryStatus | undefined, offset: number) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['webhooks', 'deliveries', id, status ?? 'all', offset],
    queryFn: async () =>
      (
        await client.listWebhookDeliveries({
          path: { id },
          query: { limit: DELIVERIES_PER_PAGE, offset, ...(status ? { status } : {}) },
        })
      ).data,
    placeholderData: (previous) => previous,
    refetchInterval: (query) => pollInterval(query.state.data?.data),
  });
}

/** One delivery with its attempt log. */
export function useDelivery(webhookId: string, deliveryId: string) {
  const { client } = useAuth();
  return useQuery({
    queryKey: ['webhooks', 'delivery', webhookId, deliveryId],
    queryFn: async () => (await client.getWebhookDelivery({ path: { id: webhookId, deliveryId } })).data,
    refetchInterval: (query) => pollInterval(query.state.data ? [query.state.data] : undefined),
  });
}
