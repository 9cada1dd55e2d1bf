// One webhook endpoint: send a test, enable/disable, rotate its secret, replay, delete; its
// deliveries with their attempts.
import type { Webhook } from '@agenfleet/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useParams } from 'wouter';
import { useAuth } from '../../api/auth';
import { ConfirmButton } from '../../components/ConfirmButton';
import { SecretOnce } from '../../components/CopyButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loading, PageHeader, StatusBadge } from '../../components/bits';
import { formatDateTime } from '../../components/format';
import { Deliveries } from './Deliveries';
import { describeEvents } from './events';
import { useWebhook } from './queries';
import { ReplayForm } from './ReplayForm';

export function WebhookPage() {
  const { webhookId = '' } = useParams();
  const webhook = useWebhook(webhookId);
  if (webhook.error) {
    return (
      <>
        <PageHeader title="Webhook" />
        <ErrorNotice error={webhook.error} />
        <Link to="/webhooks">All webhooks</Link>
      </>
    );
  }
  if (!webhook.data) return <Loading what="Loading the webhook" />;
  return <WebhookView webhook={webhook.data} />;
}

function WebhookView({ webhook }: { webhook: Webhook }) {
  const { client, canWrite } = useAuth();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const id = webhook.id;
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['webhooks'] });

  const test = useMutation({
    mutationFn: async () => (await client.testWebhook({ path: { id } })).data,
    onSuccess: refresh,
  });
  const toggle = useMutation({
    mutationFn: async () => (await client.updateWebhook({ path: { id }, body: { enabled: !webhook.enabled } })).data,
    onSuccess: refresh,
  });
  const rotate = useMutation({
    mutationFn: async () => (await client.rotateWebhookSecret({ path: { id } })).data,
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: () => client.deleteWebhook({ path: { id } }),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: ['webhooks', 'one', id] });
      await refresh();
      void navigate('/webhooks');
    },
  });

  return (
    <>
      <p className="breadcrumb small">
        <Link to="/webhooks">Webhooks</Link> /
      </p>
      <PageHeader
        title={webhook.url}
        actions={
          canWrite && (
            <>
              <button type="button" className="button" disabled={test.isPending} onClick={() => test.mutate()}>
                Send a test
              </button>
              <button
                type="button"
                className="button secondary"
                disabled={toggle.isPending}
                onClick={() => toggle.mutate()}
              >
                {webhook.enabled ? 'Disable' : 'Enable'}
              </button>
              <ConfirmButton
                label="Rotate secret"
                title="Rotate the signing secret?"
                confirmLabel="Rotate"
                className="button secondary"
                onConfirm={() => rotate.mutateAsync()}
              >
                <p>A new secret signs every delivery from now on; the old one keeps signing alongside for 24 hours.</p>
              </ConfirmButton>
              <ConfirmButton
                label="Delete"
                title="Delete this webhook?"
                confirmLabel="Delete the webhook"
                onConfirm={() => remove.mutateAsync()}
              >
                <p className="wrap-anywhere">
                  {webhook.url} stops receiving events, and its pending deliveries are dropped.
                </p>
              </ConfirmButton>
            </>
          )
        }
      >
        {webhook.description && <p className="muted">{webhook.description}</p>}
      </PageHeader>

      <ErrorNotice error={test.error ?? toggle.error} />
      {test.data && (
        <p className="notice notice-info" role="status">
          A <code>webhook.test</code> event is on its way (delivery <code>{test.data.deliveryId}</code>).
        </p>
      )}
      {rotate.data?.secret && <SecretOnce label="New signing secret" secret={rotate.data.secret} />}

      <dl className="details card">
        <div>
          <dt>State</dt>
          <dd>
            <StatusBadge status={webhook.enabled ? 'enabled' : 'disabled'} />
            {webhook.disabledReason && <span className="small muted block">{webhook.disabledReason}</span>}
          </dd>
        </div>
        <div>
          <dt>Events</dt>
          <dd className="small">{describeEvents(webhook.events)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(webhook.createdAt)}</dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>{formatDateTime(webhook.updatedAt)}</dd>
        </div>
      </dl>

      <Deliveries webhookId={id} />
      {canWrite && <ReplayForm webhookId={id} />}
    </>
  );
}
