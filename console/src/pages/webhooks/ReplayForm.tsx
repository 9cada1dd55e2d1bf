// Re-deliver every matching event since a time (recovery after the receiver was down).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useAuth } from '../../api/auth';
import { fieldMessage } from '../../api/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { formatInteger, fromDateTimeLocal, toDateTimeLocal, viewerTimeZone } from '../../components/format';

export function ReplayForm({ webhookId }: { webhookId: string }) {
  const { client } = useAuth();
  const queryClient = useQueryClient();
  const [since, setSince] = useState(() => toDateTimeLocal(new Date(Date.now() - 3_600_000).toISOString()));
  const [invalid, setInvalid] = useState(false);
  const replay = useMutation({
    mutationFn: async (iso: string) => (await client.replayWebhookEvents({ path: { id: webhookId }, body: { since: iso } })).data,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['webhooks'] }),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const iso = fromDateTimeLocal(since);
    setInvalid(iso === null);
    if (iso) replay.mutate(iso);
  }

  return (
    <section aria-labelledby="replay-heading">
      <h2 id="replay-heading">Replay</h2>
      <form className="card inline-form replay-form" onSubmit={submit} noValidate>
        <Field
          label="Re-deliver events since"
          hint={`Your time (${viewerTimeZone()}); every matching event since then is sent again, with its original id.`}
          error={invalid ? 'Choose a date and time.' : fieldMessage(replay.error, 'since')}
        >
          {(control) => (
            <input {...control} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} required />
          )}
        </Field>
        <button type="submit" className="button secondary" disabled={replay.isPending}>
          Replay
        </button>
      </form>
      <ErrorNotice error={replay.error} />
      {replay.data && (
        <p className="notice notice-info" role="status">
          {replay.data.scheduled === 0
            ? 'No matching events since then: nothing to re-deliver.'
            : `${formatInteger(replay.data.scheduled)} ${replay.data.scheduled === 1 ? 'delivery' : 'deliveries'} scheduled.`}
        </p>
      )}
    </section>
  );
}
