// An endpoint's deliveries (filter by status), each with its attempt log and a retry.
import type { Delivery, DeliveryStatus } from '@agenfleet/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useSearchParams } from 'wouter';
import { useAuth } from '../../api/auth';
import { Empty, Loading, StatusBadge } from '../../components/bits';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatDateTime, formatDateTimeSeconds, formatDuration, formatRelative } from '../../components/format';
import { offsetParam, Pager } from '../../components/Pager';
import { useDeliveries, useDelivery } from './queries';

const STATUSES: DeliveryStatus[] = ['pending', 'succeeded', 'failed'];

export function Deliveries({ webhookId }: { webhookId: string }) {
  const [params, setParams] = useSearchParams();
  const statusParam = params.get('status');
  const status = STATUSES.find((s) => s === statusParam);
  const deliveries = useDeliveries(webhookId, status, offsetParam(params));
  const [open, setOpen] = useState<string | null>(null);

  return (
    <section aria-labelledby="deliveries-heading">
      <div className="section-header">
        <h2 id="deliveries-heading">Deliveries</h2>
        <label className="inline">
          Status
          <select value={status ?? ''} onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}>
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice error={deliveries.error} />
      {deliveries.isPending && !deliveries.error && <Loading what="Loading deliveries" />}
      {deliveries.data?.data.length === 0 && (
        <Empty>{status ? `No ${status} deliveries.` : 'No deliveries yet: send a test.'}</Empty>
      )}
      {deliveries.data && deliveries.data.data.length > 0 && (
        <div className="table-wrap">
          <table className="deliveries stack-on-phone" data-testid="deliveries">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">Next attempt</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.data.map((delivery) => (
                <Fragment key={delivery.id}>
                  <tr data-delivery-id={delivery.id}>
                    <td className="row-title">
                      <code>{delivery.eventType}</code>
                    </td>
                    <td data-label="Status">
                      <StatusBadge status={delivery.status} />
                    </td>
                    <td className="num" data-label="Attempts">
                      {delivery.attempts}
                    </td>
                    <td data-label="Last answer">{delivery.lastStatusCode ?? <span className="muted">—</span>}</td>
                    <td className="nowrap" data-label="Next attempt">
                      {delivery.nextAttemptAt ? formatRelative(delivery.nextAttemptAt) : '—'}
                    </td>
                    <td className="nowrap" data-label="Created">
                      {formatDateTime(delivery.createdAt)}
                    </td>
                    <td className="actions-cell">
                      <div className="row-actions">
                        <button
                          type="button"
                          className="button secondary small-button"
                          aria-expanded={open === delivery.id}
                          aria-controls={`attempts-${delivery.id}`}
                          onClick={() => setOpen(open === delivery.id ? null : delivery.id)}
                        >
                          {open === delivery.id ? 'Hide attempts' : 'Attempts'}
                        </button>
                        <RetryButton delivery={delivery} />
                      </div>
                    </td>
                  </tr>
                  {open === delivery.id && (
                    <tr id={`attempts-${delivery.id}`} className="expanded-row">
                      <td colSpan={7}>
                        <AttemptLog webhookId={webhookId} deliveryId={delivery.id} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deliveries.data && (
        <Pager
          label="Delivery pages"
          pagination={deliveries.data.pagination}
          onOffset={(offset) => setParams({ ...(status ? { status } : {}), offset: String(offset) })}
        />
      )}
    </section>
  );
}

function RetryButton({ delivery }: { delivery: Delivery }) {
  const { client, canWrite } = useAuth();
  const queryClient = useQueryClient();
  const retry = useMutation({
    mutationFn: async () =>
      (await client.retryWebhookDelivery({ path: { id: delivery.webhookId ?? '', deliveryId: delivery.id } })).data,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['webhooks'] }),
  });
  if (!canWrite || !delivery.webhookId) return null;
  return (
    <>
      <button
        type="button"
        className="button secondary small-button"
        disabled={retry.isPending}
        onClick={() => retry.mutate()}
      >
        Retry
      </button>
      <ErrorNotice error={retry.error} />
    </>
  );
}

function AttemptLog({ webhookId, deliveryId }: { webhookId: string; deliveryId: string }) {
  const delivery = useDelivery(webhookId, deliveryId);
  if (delivery.error) return <ErrorNotice error={delivery.error} />;
  if (!delivery.data) return <Loading what="Loading attempts" />;
  const attempts = delivery.data.attemptLog ?? [];
  if (attempts.length === 0) return <Empty>No attempt yet: the first one is due now.</Empty>;
  return (
    <table className="attempts stack-on-phone" data-testid="attempt-log">
      <caption className="small muted wrap-anywhere">
        Attempts of <code>{delivery.data.eventType}</code> (event <code>{delivery.data.eventId}</code>), oldest first
      </caption>
      <thead>
        <tr>
          <th scope="col">At</th>
          <th scope="col">Answer</th>
          <th scope="col" className="num">Took</th>
          <th scope="col">Error</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((attempt, i) => (
          <tr key={`${attempt.at}-${i}`}>
            <td className="nowrap" data-label="At">
              {formatDateTimeSeconds(attempt.at)}
            </td>
            <td data-label="Answer">{attempt.statusCode ?? <span className="muted">no answer</span>}</td>
            <td className="num" data-label="Took">
              {formatDuration(attempt.durationMs)}
            </td>
            <td className="wrap-anywhere attempt-error" data-label="Error">
              {attempt.error ?? <span className="muted">—</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
