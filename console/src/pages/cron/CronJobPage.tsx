// One cron job: what it does and when, run it now, edit, enable/disable, delete; its runs.
import type { CronJob } from '@agenfleet/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useParams } from 'wouter';
import { useAgentsById } from '../../api/agents';
import { useAuth } from '../../api/auth';
import { AgentLink } from '../../components/AgentLink';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loading, PageHeader, StatusBadge } from '../../components/bits';
import { formatDateTime, formatRelative } from '../../components/format';
import { describeDelivery } from './draft';
import { NextRun } from './NextRun';
import { useCronJob } from './queries';
import { CronRuns } from './CronRuns';
import { scheduleInWords } from './schedule';

export function CronJobPage() {
  const { jobId = '' } = useParams();
  const job = useCronJob(jobId);
  if (job.error) {
    return (
      <>
        <PageHeader title="Cron job" />
        <ErrorNotice error={job.error} />
        <Link to="/cron">All cron jobs</Link>
      </>
    );
  }
  if (!job.data) return <Loading what="Loading the cron job" />;
  return <CronJobView job={job.data} />;
}

function CronJobView({ job }: { job: CronJob }) {
  const { client, canWrite } = useAuth();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const agents = useAgentsById();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['cron'] });

  const runNow = useMutation({
    mutationFn: async () => (await client.runCronJob({ path: { id: job.id } })).data,
    onSuccess: refresh,
  });
  const toggle = useMutation({
    mutationFn: async () => (await client.updateCronJob({ path: { id: job.id }, body: { enabled: !job.enabled } })).data,
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: () => client.deleteCronJob({ path: { id: job.id } }),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: ['cron', 'job', job.id] });
      await refresh();
      void navigate('/cron');
    },
  });

  return (
    <>
      <p className="breadcrumb small">
        <Link to="/cron">Cron jobs</Link> /
      </p>
      <PageHeader
        title={job.name}
        actions={
          canWrite && (
            <>
              <button type="button" className="button" disabled={runNow.isPending} onClick={() => runNow.mutate()}>
                Run now
              </button>
              <Link className="button secondary" to={`/cron/${job.id}/edit`}>
                Edit
              </Link>
              <button
                type="button"
                className="button secondary"
                disabled={toggle.isPending}
                onClick={() => toggle.mutate()}
              >
                {job.enabled ? 'Disable' : 'Enable'}
              </button>
              <ConfirmButton
                label="Delete"
                title={`Delete ${job.name}?`}
                confirmLabel="Delete the job"
                onConfirm={() => remove.mutateAsync()}
              >
                <p>The job stops firing and disappears; its past runs stay in the activity log.</p>
              </ConfirmButton>
            </>
          )
        }
      >
        <p className="job-summary">
          <StatusBadge status={job.enabled ? 'enabled' : 'disabled'} /> <strong>{scheduleInWords(job.schedule)}</strong>{' '}
          <span className="muted">({job.timezone})</span>
        </p>
      </PageHeader>

      <ErrorNotice error={runNow.error ?? toggle.error} />
      {runNow.data && (
        <p className="notice notice-info" role="status">
          {runNow.data.status === 'skipped'
            ? 'The run was skipped: the previous run is still going and the job skips overlaps.'
            : 'A run has started; it appears below and finishes when the agent replies.'}
        </p>
      )}

      <dl className="details card">
        <div>
          <dt>Agent</dt>
          <dd>
            <AgentLink id={job.agentId} agents={agents} />
          </dd>
        </div>
        <div>
          <dt>Schedule</dt>
          <dd>
            <code>{job.schedule}</code> in {job.timezone}
          </dd>
        </div>
        <div>
          <dt>Next run</dt>
          <dd>
            <NextRun at={job.nextRunAt} timeZone={job.timezone} />
          </dd>
        </div>
        <div>
          <dt>Last run</dt>
          <dd>
            {job.lastRunStatus ? (
              <>
                <StatusBadge status={job.lastRunStatus} /> {formatRelative(job.lastRunAt)}
              </>
            ) : (
              'Never'
            )}
          </dd>
        </div>
        <div>
          <dt>If still running</dt>
          <dd>{job.overlapPolicy === 'skip' ? 'Skip the next fire' : 'Run anyway'}</dd>
        </div>
        <div>
          <dt>Delivery</dt>
          <dd className="wrap-anywhere">{describeDelivery(job.delivery)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(job.createdAt)}</dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>{formatDateTime(job.updatedAt)}</dd>
        </div>
      </dl>

      <h2>Prompt</h2>
      <pre className="prompt">{job.prompt}</pre>

      <CronRuns jobId={job.id} />
    </>
  );
}
