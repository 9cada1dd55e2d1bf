// Create or edit a cron job. The schedule is checked and said in words as it is typed; the
// API's own 400 details are shown under the fields they name.
import type { CronJob } from '@agenfleet/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { Link, useLocation, useParams, useSearchParams } from 'wouter';
import { useAllAgents } from '../../api/agents';
import { useAuth } from '../../api/auth';
import { fieldMessage } from '../../api/errors';
import { SecretOnce } from '../../components/CopyButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { Loading, PageHeader } from '../../components/bits';
import {
  createBody,
  DELIVERY_FIELDS,
  DELIVERY_LABELS,
  draftOf,
  newDraft,
  patchOf,
  type DeliveryType,
  type Draft,
} from './draft';
import { useCronJob } from './queries';
import { checkSchedule, timeZones } from './schedule';

export function CronForm() {
  const { jobId } = useParams();
  const { canWrite } = useAuth();
  const title = jobId ? 'Edit cron job' : 'New cron job';
  if (!canWrite) {
    return (
      <>
        <PageHeader title={title} />
        <p className="notice notice-info">This key can only read: sign in with a read-write key to change cron jobs.</p>
      </>
    );
  }
  return jobId ? <EditCronJob id={jobId} /> : <CronJobForm title={title} />;
}

function EditCronJob({ id }: { id: string }) {
  const job = useCronJob(id);
  if (job.error) {
    return (
      <>
        <PageHeader title="Edit cron job" />
        <ErrorNotice error={job.error} />
      </>
    );
  }
  if (!job.data) return <Loading what="Loading the cron job" />;
  return <CronJobForm title={`Edit ${job.data.name}`} job={job.data} />;
}

function CronJobForm({ title, job }: { title: string; job?: CronJob }) {
  const { client } = useAuth();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [params] = useSearchParams();
  const agents = useAllAgents();
  const [draft, setDraft] = useState<Draft>(() => (job ? draftOf(job) : newDraft(params.get('agent') ?? '')));
  const [saved, setSaved] = useState<CronJob | null>(null);
  const [showCheck, setShowCheck] = useState(false);
  const scheduleInput = useRef<HTMLInputElement>(null);
  const check = checkSchedule(draft.schedule);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const save = useMutation({
    mutationFn: async () => {
      if (!job) return (await client.createCronJob({ body: createBody(draft) })).data;
      const patch = patchOf(job, draft);
      if (Object.keys(patch).length === 0) return job;
      return (await client.updateCronJob({ path: { id: job.id }, body: patch })).data;
    },
    onSuccess: (result) => {
      void queryClient.invalidateQueries({ queryKey: ['cron'] });
      if (result.deliverySecret) setSaved(result);
      else void navigate(`/cron/${result.id}`);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setShowCheck(true);
    if (!check.ok) {
      scheduleInput.current?.focus();
      return;
    }
    save.mutate();
  }

  if (saved?.deliverySecret) {
    return (
      <>
        <PageHeader title={`Saved ${saved.name}`} />
        <SecretOnce label="Signing secret of the webhook delivery" secret={saved.deliverySecret} />
        <Link className="button" to={`/cron/${saved.id}`}>
          Go to the cron job
        </Link>
      </>
    );
  }

  const apiError = (field: string) => fieldMessage(save.error, field);
  const deliveryField = draft.deliveryType === 'none' ? null : DELIVERY_FIELDS[draft.deliveryType];
  const zones = timeZones().includes(draft.timezone) ? timeZones() : [draft.timezone, ...timeZones()];

  return (
    <>
      <PageHeader title={title} />
      <form className="stack card form" onSubmit={submit} noValidate>
        <Field
          label="Agent"
          hint={job ? 'A job stays with its agent; create a new job for another agent.' : undefined}
          error={apiError('agentId')}
        >
          {(control) => (
            <select
              {...control}
              value={draft.agentId}
              onChange={(e) => set('agentId', e.target.value)}
              disabled={job !== undefined}
              required
            >
              <option value="">Choose an agent…</option>
              {agents.data?.map((agent) => (
                <option key={agent.id} value={agent.id}>
                  {agent.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <ErrorNotice error={agents.error} />

        <Field label="Name" error={apiError('name')}>
          {(control) => (
            <input {...control} value={draft.name} onChange={(e) => set('name', e.target.value)} maxLength={100} required />
          )}
        </Field>

        <Field
          label="Prompt"
          hint="Sent to the agent as the first message of a new session at every run."
          error={apiError('prompt')}
        >
          {(control) => (
            <textarea
              {...control}
              className="prompt-input"
              value={draft.prompt}
              onChange={(e) => set('prompt', e.target.value)}
              required
            />
          )}
        </Field>

        <div className="form-row">
          <Field
            label="Schedule"
            className="grow"
            error={apiError('schedule')}
            hint={
              <>
                <span aria-live="polite" data-testid="schedule-words" className="schedule-check">
                  {check.ok ? (
                    <span className="schedule-words">{check.words}</span>
                  ) : (
                    showCheck && <span className="field-error">{check.error}</span>
                  )}
                </span>
                <span>
                  minute hour day-of-month month day-of-week, e.g. <code>0 8 * * 1-5</code> or{' '}
                  <code>*/15 * * * *</code>
                </span>
              </>
            }
          >
            {(control) => (
              <input
                {...control}
                ref={scheduleInput}
                className="mono"
                value={draft.schedule}
                onChange={(e) => {
                  set('schedule', e.target.value);
                  setShowCheck(true);
                }}
                aria-invalid={(showCheck && !check.ok) || control['aria-invalid']}
                spellCheck={false}
                autoComplete="off"
                required
              />
            )}
          </Field>
          <Field label="Time zone" error={apiError('timezone')}>
            {(control) => (
              <select {...control} value={draft.timezone} onChange={(e) => set('timezone', e.target.value)}>
                {zones.map((zone) => (
                  <option key={zone} value={zone}>
                    {zone}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>

        <div className="form-row">
          <Field label="When the previous run is still going">
            {(control) => (
              <select
                {...control}
                value={draft.overlapPolicy}
                onChange={(e) => set('overlapPolicy', e.target.value as Draft['overlapPolicy'])}
              >
                <option value="skip">Skip this fire</option>
                <option value="allow">Run anyway (overlap)</option>
              </select>
            )}
          </Field>
          <label className="inline checkbox">
            <input type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} />
            Enabled
          </label>
        </div>

        <div className="form-row">
          <Field label="Deliver the output to">
            {(control) => (
              <select
                {...control}
                value={draft.deliveryType}
                onChange={(e) => set('deliveryType', e.target.value as DeliveryType)}
              >
                {(Object.keys(DELIVERY_LABELS) as DeliveryType[]).map((type) => (
                  <option key={type} value={type}>
                    {DELIVERY_LABELS[type]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {deliveryField && (
            <Field label={deliveryField.label} className="grow" error={apiError('delivery')}>
              {(control) => (
                <input
                  {...control}
                  type={deliveryField.input}
                  value={draft.deliveryTarget}
                  onChange={(e) => set('deliveryTarget', e.target.value)}
                  required
                />
              )}
            </Field>
          )}
        </div>

        <ErrorNotice error={save.error} />
        <div className="actions">
          <button type="submit" className="button" disabled={save.isPending}>
            {job ? 'Save changes' : 'Create cron job'}
          </button>
          <Link className="button secondary" to={job ? `/cron/${job.id}` : '/cron'}>
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}
