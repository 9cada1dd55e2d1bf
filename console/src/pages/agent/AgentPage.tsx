// One agent: its header (name, status, role, model) and four tabs as routes under
// /agents/:agentId — Overview, Activity, Sessions (and one session's messages), Settings. Their
// paths are whole (not `nest`ed), so every link in the console is a path from /console/.
import type { Agent } from '@agenfleet/sdk';
import { Link, Route, Switch, useParams } from 'wouter';
import { NavLink } from '../../routing';
import { Loading, StatusBadge } from '../../components/bits';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatDateTime, formatRelative } from '../../components/format';
import { useNow } from '../../components/useNow';
import { ActivityTab } from './activity/ActivityTab';
import { OverviewTab } from './overview/OverviewTab';
import { useAgent } from './queries';
import { SessionsTab } from './sessions/SessionsTab';
import { SessionView } from './sessions/SessionView';
import { SettingsTab } from './settings/SettingsTab';

function AgentHeader({ agent }: { agent: Agent }) {
  const now = useNow();
  return (
    <header className="page-header agent-header">
      <div>
        <p className="breadcrumb small">
          <Link to="/">Fleet</Link> <span aria-hidden="true">/</span>
        </p>
        <div className="title-row">
          <h1>{agent.name}</h1>
          <StatusBadge status={agent.status} />
        </div>
        <p className="agent-meta">
          <span>{agent.role || <span className="muted">No role</span>}</span>
          <span className="mono">{agent.model}</span>
          <span className="muted" title={formatDateTime(agent.lastActiveAt)}>
            {agent.lastActiveAt ? `last active ${formatRelative(agent.lastActiveAt, now)}` : 'never active'}
          </span>
          <span className="muted" title={formatDateTime(agent.lastHeartbeatAt)}>
            {agent.lastHeartbeatAt ? `heartbeat ${formatRelative(agent.lastHeartbeatAt, now)}` : 'no heartbeat yet'}
          </span>
        </p>
        {agent.description && <p className="muted agent-description">{agent.description}</p>}
      </div>
    </header>
  );
}

export function AgentPage() {
  const { agentId = '' } = useParams();
  const agent = useAgent(agentId);
  if (agent.isPending) return <Loading what="Loading the agent" />;
  if (!agent.data) {
    return (
      <>
        <h1>Agent</h1>
        <ErrorNotice error={agent.error} />
        <p>
          <Link to="/">Back to the fleet</Link>
        </p>
      </>
    );
  }
  const base = `/agents/${agentId}`;
  return (
    <>
      <AgentHeader agent={agent.data} />
      <ErrorNotice error={agent.error} />
      <nav className="tabs" aria-label="Agent sections">
        <NavLink to={base} end>
          Overview
        </NavLink>
        <NavLink to={`${base}/activity`}>Activity</NavLink>
        <NavLink to={`${base}/sessions`}>Sessions</NavLink>
        <NavLink to={`${base}/settings`}>Settings</NavLink>
      </nav>
      <Switch>
        <Route path="/agents/:agentId">
          <OverviewTab agent={agent.data} />
        </Route>
        <Route path="/agents/:agentId/activity">
          <ActivityTab agentId={agentId} />
        </Route>
        <Route path="/agents/:agentId/sessions">
          <SessionsTab agentId={agentId} />
        </Route>
        <Route path="/agents/:agentId/sessions/:sessionId">
          <SessionView agentId={agentId} />
        </Route>
        <Route path="/agents/:agentId/settings">
          <SettingsTab agent={agent.data} />
        </Route>
        <Route>
          <p>
            There is no such tab. <Link to={base}>Back to the overview</Link>.
          </p>
        </Route>
      </Switch>
    </>
  );
}
