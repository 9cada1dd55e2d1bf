// An agent by name, linked to its page. An agent not in `agents` (deleted, or not loaded yet) is
// shown by the name the caller knows, else by its id, unlinked.
import type { Agent } from '@agenfleet/sdk';
import { Link } from 'wouter';

export function AgentLink({ id, agents, name }: { id: string | null; agents: Map<string, Agent>; name?: string }) {
  if (!id) return <span className="muted">—</span>;
  const agent = agents.get(id);
  if (!agent) {
    return name ? (
      <span title={id}>{name}</span>
    ) : (
      <span className="mono small muted" title="Deleted, or not loaded yet">
        {id}
      </span>
    );
  }
  return <Link to={`/agents/${id}`}>{agent.name}</Link>;
}
