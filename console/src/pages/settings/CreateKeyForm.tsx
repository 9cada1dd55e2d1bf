// A new API key: name, scope, optional expiry. The key itself is shown once.
import type { ApiKey, Scope } from '@agenfleet/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useAuth } from '../../api/auth';
import { fieldMessage } from '../../api/errors';
import { SecretOnce } from '../../components/CopyButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { fromDateTimeLocal, viewerTimeZone } from '../../components/format';

export function CreateKeyForm() {
  const { client } = useAuth();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('read');
  const [expiry, setExpiry] = useState('');
  const [created, setCreated] = useState<ApiKey | null>(null);
  const [expiryError, setExpiryError] = useState<string | undefined>();

  const create = useMutation({
    mutationFn: async (expiresAt: string | null) =>
      (await client.createApiKey({ body: { name: name.trim(), scope, ...(expiresAt ? { expiresAt } : {}) } })).data,
    onSuccess: (key) => {
      setCreated(key);
      setName('');
      setExpiry('');
      void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const expiresAt = expiry ? fromDateTimeLocal(expiry) : null;
    if (expiry && (!expiresAt || Date.parse(expiresAt) <= Date.now())) {
      setExpiryError('Choose a time in the future, or leave it empty for a key that does not expire.');
      return;
    }
    setExpiryError(undefined);
    setCreated(null);
    create.mutate(expiresAt);
  }

  return (
    <section aria-labelledby="new-key-heading">
      <h2 id="new-key-heading">New key</h2>
      {created?.key && <SecretOnce label={`Key “${created.name}” (${created.scope})`} secret={created.key} />}
      <form className="card inline-form" onSubmit={submit} noValidate>
        <Field label="Name" className="grow" error={fieldMessage(create.error, 'name')}>
          {(control) => (
            <input
              {...control}
              value={name}
              onChange={(e) => setName(e.target.value)}
              maxLength={100}
              placeholder="CI pipeline"
              required
            />
          )}
        </Field>
        <Field label="Scope" className="narrow">
          {(control) => (
            <select {...control} value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
              <option value="read">read</option>
              <option value="read-write">read-write</option>
            </select>
          )}
        </Field>
        <Field
          label="Expires"
          hint={`Optional, your time (${viewerTimeZone()})`}
          error={expiryError ?? fieldMessage(create.error, 'expiresAt')}
        >
          {(control) => (
            <input {...control} type="datetime-local" value={expiry} onChange={(e) => setExpiry(e.target.value)} />
          )}
        </Field>
        <button type="submit" className="button" disabled={create.isPending}>
          Create key
        </button>
      </form>
      <ErrorNotice error={create.error} />
    </section>
  );
}
