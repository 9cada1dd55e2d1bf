// Activity entries as a table: sequence, time, type, who, about which agent and resource, and
// the entry's data (as JSON text) on demand.
import type { ActivityEntry, Agent } from '@agenfleet/sdk';
import { AgentLink } from '../../components/AgentLink';
import { formatDateTimeSeconds } from '../../components/format';

export function ActivityTable({
  entries,
  agents,
  keys,
  fresh,
}: {
  entries: ActivityEntry[];
  agents: Map<string, Agent>;
  /** API key id → name. */
  keys: Map<string, string>;
  /** Ids of entries that arrived live (highlighted). */
  fresh: Set<string>;
}) {
  return (
    <div className="table-wrap">
      <table className="activity" data-testid="activity-log">
        <thead>
          <tr>
            <th scope="col" className="num">#</th>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">Actor</th>
            <th scope="col">Agent</th>
            <th scope="col">Subject</th>
            <th scope="col">Data</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id} data-sequence={entry.sequence} className={fresh.has(entry.id) ? 'fresh' : undefined}>
              <td className="num">{entry.sequence}</td>
              <td className="nowrap">{formatDateTimeSeconds(entry.timestamp)}</td>
              <td>
                <code>{entry.type}</code>
              </td>
              <td>
                <Actor entry={entry} agents={agents} keys={keys} />
              </td>
              <td>
                <AgentLink id={entry.agentId} agents={agents} name={agentName(entry)} />
              </td>
              <td className="small">
                {entry.subject.type} <span className="mono muted">{entry.subject.id}</span>
              </td>
              <td>
                <details>
                  <summary>
                    Data<span className="visually-hidden"> of entry {entry.sequence}</span>
                  </summary>
                  <pre className="entry-data">{JSON.stringify(entry.data, null, 2)}</pre>
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The agent's name carried by an entry about the agent itself (created, updated, deleted…). */
function agentName(entry: ActivityEntry): string | undefined {
  if (entry.subject.type !== 'agent' || typeof entry.data !== 'object' || entry.data === null) return undefined;
  const name = (entry.data as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

function Actor({ entry, agents, keys }: { entry: ActivityEntry; agents: Map<string, Agent>; keys: Map<string, string> }) {
  const { type, id } = entry.actor;
  if (type === 'agent') return <AgentLink id={id} agents={agents} />;
  if (type === 'system') return <span className="muted">system</span>;
  const name = keys.get(id);
  return name ? (
    <span title={id}>key “{name}”</span>
  ) : (
    <span className="small">
      key <span className="mono muted">{id}</span>
    </span>
  );
}
