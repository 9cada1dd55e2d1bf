// A new webhook endpoint: URL, the events it wants (or all), a description. Its signing secret
// is shown once, right after.
import type { Webhook, WebhookEventFilter } from '@agenfleet/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { useAuth } from '../../api/auth';
import { fieldMessage } from '../../api/errors';
import { PageHeader } from '../../components/bits';
import { SecretOnce } from '../../components/CopyButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { EVENT_TYPES } from './events';

export function WebhookForm() {
  const { client, canWrite } = useAuth();
  const queryClient = useQueryClient();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [all, setAll] = useState(true);
  const [events, setEvents] = useState<Set<WebhookEventFilter>>(new Set());
  const [eventsError, setEventsError] = useState<string | null>(null);
  const [created, setCreated] = useState<Webhook | null>(null);

  const create = useMutation({
    mutationFn: async () =>
      (
        await client.createWebhook({
          body: {
            url: url.trim(),
            events: all ? ['*'] : EVENT_TYPES.filter((type) => events.has(type)),
            ...(description.trim() ? { description: description.trim() } : {}),
          },
        })
      ).data,
    onSuccess: (webhook) => {
      void queryClient.invalidateQueries({ queryKey: ['webhooks'] });
      setCreated(webhook);
    },
  });

  if (!canWrite) {
    return (
      <>
        <PageHeader title="New webhook" />
        <p className="notice notice-info">This key can only read: sign in with a read-write key to add webhooks.</p>
      </>
    );
  }

  if (created) {
    return (
      <>
        <PageHeader title="Webhook created" />
        <p className="wrap-anywhere">
          Events to <strong>{created.url}</strong> are signed with this secret (Standard Webhooks).
        </p>
        {created.secret && <SecretOnce label="Signing secret" secret={created.secret} />}
        <Link className="button" to={`/webhooks/${created.id}`}>
          Go to the webhook
        </Link>
      </>
    );
  }

  function toggle(type: WebhookEventFilter, on: boolean) {
    setEvents((current) => {
      const next = new Set(current);
      if (on) next.add(type);
      else next.delete(type);
      return next;
    });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!all && events.size === 0) {
      setEventsError('Choose at least one event, or all of them.');
      return;
    }
    setEventsError(null);
    create.mutate();
  }

  return (
    <>
      <PageHeader title="New webhook" />
      <form className="stack card form" onSubmit={submit} noValidate>
        <Field label="URL" hint="http or https; it receives a POST per event." error={fieldMessage(create.error, 'url')}>
          {(control) => (
            <input
              {...control}
              type="url"
              inputMode="url"
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              placeholder="https://example.com/agenfleet"
              required
            />
          )}
        </Field>
        <fieldset className="events" aria-describedby={eventsError ? 'events-error' : undefined}>
          <legend>Events</legend>
          <label className="inline checkbox">
            <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />
            {/* One flex item: bare text around <code> would be three, split apart by the gap. */}
            <span>
              All events (<code>*</code>), including those added later
            </span>
          </label>
          <div className="event-grid">
            {EVENT_TYPES.map((type) => (
              <label key={type} className="inline checkbox">
                <input
                  type="checkbox"
                  checked={all || events.has(type)}
                  disabled={all}
                  onChange={(e) => toggle(type, e.target.checked)}
                />
                <code>{type}</code>
              </label>
            ))}
          </div>
          {(eventsError || fieldMessage(create.error, 'events')) && (
            <p id="events-error" className="field-error">
              {eventsError ?? fieldMessage(create.error, 'events')}
            </p>
          )}
        </fieldset>
        <Field label="Description" hint="Optional: what this endpoint is for." error={fieldMessage(create.error, 'description')}>
          {(control) => (
            <input {...control} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} />
          )}
        </Field>
        <ErrorNotice error={create.error} />
        <div className="actions">
          <button type="submit" className="button" disabled={create.isPending}>
            Create webhook
          </button>
          <Link className="button secondary" to="/webhooks">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}
