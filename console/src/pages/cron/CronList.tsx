// Every cron job: agent, schedule in words, zone, next run (job's zone and yours), last run.
import { Link, useSearchParams } from 'wouter';
import { useAgentsById, useAllAgents } from '../../api/agents';
import { useAuth } from '../../api/auth';
import { AgentLink } from '../../components/AgentLink';
import { Empty, Loading, PageHeader, StatusBadge } from '../../components/bits';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatRelative } from '../../components/format';
import { offsetParam, Pager } from '../../components/Pager';
import { NextRun } from './NextRun';
import { useCronJobs } from './queries';
import { scheduleInWords } from './schedule';

export function CronList() {
  const { canWrite } = useAuth();
  const [params, setParams] = useSearchParams();
  const agentId = params.get('agent') ?? undefined;
  const jobs = useCronJobs(agentId, offsetParam(params));
  const agents = useAgentsById();
  const allAgents = useAllAgents();

  return (
    <>
      <PageHeader
        title="Cron jobs"
        actions={
          canWrite && (
            <Link className="button" to="/cron/new">
              New cron job
            </Link>
          )
        }
      >
        <p className="muted">Prompts sent to agents on a schedule, with their output delivered.</p>
      </PageHeader>

      <div className="toolbar">
        <label className="inline">
          Agent
          <select
            value={agentId ?? ''}
            onChange={(e) => setParams(e.target.value ? { agent: e.target.value } : {})}
          >
            <option value="">All agents</option>
            {allAgents.data?.map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name}
              </option>
            ))}
          </select>
        </label>
      </div>

      <ErrorNotice error={jobs.error ?? allAgents.error} />
      {jobs.isPending && !jobs.error && <Loading what="Loading cron jobs" />}
      {jobs.data && jobs.data.data.length === 0 && (
        <Empty>{agentId ? 'This agent has no cron jobs.' : 'No cron jobs yet.'}</Empty>
      )}
      {jobs.data && jobs.data.data.length > 0 && (
        <div className="table-wrap">
          <table className="stack-on-phone" data-testid="cron-jobs">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Agent</th>
                <th scope="col">Schedule</th>
                <th scope="col">Next run</th>
                <th scope="col">Last run</th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.data.map((job) => (
                <tr key={job.id} data-job-id={job.id}>
                  <td className="row-title">
                    <Link to={`/cron/${job.id}`}>{job.name}</Link>
                    {!job.enabled && (
                      <>
                        {' '}
                        <StatusBadge status="disabled" />
                      </>
                    )}
                  </td>
                  <td data-label="Agent">
                    <AgentLink id={job.agentId} agents={agents} />
                  </td>
                  <td data-label="Schedule">
                    <span className="schedule-words">{scheduleInWords(job.schedule)}</span>
                    <span className="small muted">
                      <code>{job.schedule}</code> · {job.timezone}
                    </span>
                  </td>
                  <td data-label="Next run">
                    <NextRun at={job.nextRunAt} timeZone={job.timezone} />
                  </td>
                  <td data-label="Last run">
                    {job.lastRunStatus ? (
                      <span className="stacked">
                        <StatusBadge status={job.lastRunStatus} />
                        <span className="small muted">{formatRelative(job.lastRunAt)}</span>
                      </span>
                    ) : (
                      <span className="muted">Never run</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {jobs.data && (
        <Pager
          label="Cron job pages"
          pagination={jobs.data.pagination}
          onOffset={(offset) => setParams({ ...(agentId ? { agent: agentId } : {}), offset: String(offset) })}
        />
      )}
    </>
  );
}
