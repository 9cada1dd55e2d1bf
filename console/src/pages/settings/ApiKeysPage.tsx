// Settings → API keys: every key of the tenant, a new one (its secret shown once), revoke.
import type { ApiKey } from '@agenfleet/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useAuth } from '../../api/auth';
import { useApiKeys } from '../../api/keys';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Empty, Loading, PageHeader } from '../../components/bits';
import { formatDateTime, formatRelative } from '../../components/format';
import { CreateKeyForm } from './CreateKeyForm';

export function ApiKeysPage() {
  const { canWrite, key: current } = useAuth();
  const keys = useApiKeys();

  return (
    <>
      <PageHeader title="API keys">
        <p className="muted">
          Keys for the API and this console. A <strong>read</strong> key can only look; a <strong>read-write</strong>{' '}
          key can change everything.
        </p>
      </PageHeader>
      {canWrite && <CreateKeyForm />}
      <h2 id="keys-heading">Keys</h2>
      <ErrorNotice error={keys.error} />
      {keys.isPending && !keys.error && <Loading what="Loading keys" />}
      {keys.data?.length === 0 && <Empty>No keys.</Empty>}
      {keys.data && keys.data.length > 0 && (
        // Focusable: a read key's table has no buttons, and may need scrolling on a phone.
        <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="keys-heading">
          <table className="stack-on-phone" data-testid="api-keys">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Scope</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                {canWrite && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id} data-key-id={key.id}>
                  <td className="row-title">
                    {key.name}
                    {key.id === current?.id && <span className="badge badge-current">in use</span>}
                  </td>
                  <td data-label="Prefix">
                    <code>{key.prefix}…</code>
                  </td>
                  <td data-label="Scope">{key.scope}</td>
                  <td className="nowrap" data-label="Created">
                    {formatDateTime(key.createdAt)}
                  </td>
                  <td className="nowrap" data-label="Last used" title={formatDateTime(key.lastUsedAt)}>
                    {formatRelative(key.lastUsedAt)}
                  </td>
                  <td className="nowrap" data-label="Expires">
                    {key.expiresAt ? <Expiry at={key.expiresAt} /> : <span className="muted">never</span>}
                  </td>
                  {canWrite && (
                    <td>
                      <RevokeButton apiKey={key} inUse={key.id === current?.id} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function Expiry({ at }: { at: string }) {
  const past = Date.parse(at) <= Date.now();
  return (
    <span className={past ? 'expired' : undefined}>
      {formatDateTime(at)}
      {past && ' (expired)'}
    </span>
  );
}

function RevokeButton({ apiKey, inUse }: { apiKey: ApiKey; inUse: boolean }) {
  const { client, signOut } = useAuth();
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => client.revokeApiKey({ path: { id: apiKey.id } }),
    onSuccess: () => {
      if (inUse) {
        queryClient.clear();
        signOut('You revoked the key you were signed in with. Sign in with another key.');
      } else {
        void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
      }
    },
  });
  return (
    <ConfirmButton
      label="Revoke"
      title={`Revoke ${apiKey.name}?`}
      confirmLabel="Revoke the key"
      className="button secondary small-button danger-text"
      onConfirm={() => revoke.mutateAsync()}
    >
      <p>
        Requests with <code>{apiKey.prefix}…</code> are refused from now on (within a second). This cannot be undone.
      </p>
      {inUse && (
        <p className="notice notice-error">
          This is the key you are signed in with: revoking it signs you out of the console.
        </p>
      )}
    </ConfirmButton>
  );
}
