// Every webhook endpoint: URL, events, description, whether it is enabled.
import { Link } from 'wouter';
import { useAuth } from '../../api/auth';
import { Empty, Loading, PageHeader, StatusBadge } from '../../components/bits';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatDateTime } from '../../components/format';
import { describeEvents } from './events';
import { useWebhooks } from './queries';

export function WebhookList() {
  const { canWrite } = useAuth();
  const webhooks = useWebhooks();
  return (
    <>
      <PageHeader
        title="Webhooks"
        actions={
          canWrite && (
            <Link className="button" to="/webhooks/new">
              New webhook
            </Link>
          )
        }
      >
        <p className="muted">Endpoints that receive the fleet's events as signed POST requests.</p>
      </PageHeader>
      <ErrorNotice error={webhooks.error} />
      {webhooks.isPending && !webhooks.error && <Loading what="Loading webhooks" />}
      {webhooks.data?.length === 0 && <Empty>No webhook endpoints yet.</Empty>}
      {webhooks.data && webhooks.data.length > 0 && (
        <div className="table-wrap">
          <table className="stack-on-phone" data-testid="webhooks">
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {webhooks.data.map((webhook) => (
                <tr key={webhook.id} data-webhook-id={webhook.id}>
                  <td className="wrap-anywhere row-title">
                    <Link to={`/webhooks/${webhook.id}`}>{webhook.url}</Link>
                    {webhook.description && <span className="small muted block">{webhook.description}</span>}
                  </td>
                  <td className="small" data-label="Events">
                    {describeEvents(webhook.events)}
                  </td>
                  <td data-label="State">
                    <StatusBadge status={webhook.enabled ? 'enabled' : 'disabled'} />
                    {webhook.disabledReason && <span className="small muted block">{webhook.disabledReason}</span>}
                  </td>
                  <td className="nowrap" data-label="Created">
                    {formatDateTime(webhook.createdAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
