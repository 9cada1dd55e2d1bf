// A job's runs, newest first, each with its output (the messages of the run's session).
import type { CronRun } from '@agenfleet/sdk';
import { Fragment, useState } from 'react';
import { useSearchParams } from 'wouter';
import { Empty, Loading, StatusBadge } from '../../components/bits';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatDateTime, formatDuration, formatInteger, formatUsd } from '../../components/format';
import { offsetParam, Pager } from '../../components/Pager';
import { useCronRuns, useSessionMessages } from './queries';

export function CronRuns({ jobId }: { jobId: string }) {
  const [params, setParams] = useSearchParams();
  const runs = useCronRuns(jobId, offsetParam(params));
  const [open, setOpen] = useState<string | null>(null);

  return (
    <section aria-labelledby="runs-heading">
      <h2 id="runs-heading">Runs</h2>
      <ErrorNotice error={runs.error} />
      {runs.isPending && !runs.error && <Loading what="Loading runs" />}
      {runs.data && runs.data.data.length === 0 && <Empty>No runs yet.</Empty>}
      {runs.data && runs.data.data.length > 0 && (
        <div className="table-wrap">
          <table data-testid="cron-runs">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Scheduled for</th>
                <th scope="col" className="num">Duration</th>
                <th scope="col" className="num">Tokens in / out</th>
                <th scope="col">Delivery</th>
                <th scope="col">Error</th>
                <th scope="col">
                  <span className="visually-hidden">Output</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.data.data.map((run) => (
                <Fragment key={run.id}>
                  <tr data-run-id={run.id}>
                    <td>
                      <StatusBadge status={run.status} />
                    </td>
                    <td>{formatDateTime(run.scheduledFor)}</td>
                    <td className="num">{duration(run)}</td>
                    <td className="num">
                      {formatInteger(run.inputTokens)} / {formatInteger(run.outputTokens)}
                    </td>
                    <td>
                      <StatusBadge status={run.deliveryStatus} />
                    </td>
                    <td className="wrap-anywhere">{run.error ?? <span className="muted">—</span>}</td>
                    <td>
                      {run.sessionId && (
                        <button
                          type="button"
                          className="button secondary small-button"
                          aria-expanded={open === run.id}
                          aria-controls={`output-${run.id}`}
                          onClick={() => setOpen(open === run.id ? null : run.id)}
                        >
                          {open === run.id ? 'Hide output' : 'Output'}
                        </button>
                      )}
                    </td>
                  </tr>
                  {open === run.id && run.sessionId && (
                    <tr id={`output-${run.id}`} className="expanded-row">
                      <td colSpan={7}>
                        <RunOutput sessionId={run.sessionId} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {runs.data && (
        <Pager
          label="Run pages"
          pagination={runs.data.pagination}
          onOffset={(offset) => setParams({ offset: String(offset) })}
        />
      )}
    </section>
  );
}

function duration(run: CronRun): string {
  if (!run.startedAt) return '—';
  if (!run.finishedAt) return run.status === 'running' ? 'running' : '—';
  return formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt));
}

/** The run's session: the prompt and the agent's reply, as plain text. */
function RunOutput({ sessionId }: { sessionId: string }) {
  const messages = useSessionMessages(sessionId);
  if (messages.error) return <ErrorNotice error={messages.error} />;
  if (!messages.data) return <Loading what="Loading the output" />;
  if (messages.data.data.length === 0) return <Empty>No messages in this run's session.</Empty>;
  return (
    <ol className="messages">
      {messages.data.data.map((message) => (
        <li key={message.id} className={`message message-${message.role}`}>
          <div className="message-meta small muted">
            <strong>{message.role === 'user' ? 'Prompt' : 'Reply'}</strong> · {formatDateTime(message.createdAt)}
            {message.usage && (
              <>
                {' '}
                · {message.usage.model} · {formatInteger(message.usage.inputTokens)} in /{' '}
                {formatInteger(message.usage.outputTokens)} out · {formatUsd(message.usage.costUsd)}
              </>
            )}
          </div>
          <div className="message-content">{message.content}</div>
        </li>
      ))}
      {messages.data.data.every((message) => message.role === 'user') && (
        <li className="muted small">The agent has not replied yet.</li>
      )}
    </ol>
  );
}
