// The frame around every signed-in page: navigation, who is signed in, sign out, live status.
import type { ReactNode } from 'react';
import { NavLink } from '../routing';
import { useAuth } from '../api/auth';
import { LiveActivityProvider, useLiveConnected } from '../live/activity';

const NAV = [
  { to: '/', label: 'Fleet', end: true },
  { to: '/cost', label: 'Cost' },
  { to: '/cron', label: 'Cron jobs' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/activity', label: 'Activity' },
  { to: '/settings/api-keys', label: 'API keys' },
];

function LiveIndicator() {
  const connected = useLiveConnected();
  return (
    <span className={`live ${connected ? 'live-on' : 'live-off'}`} title="Activity stream">
      {connected ? 'Live' : 'Offline'}
    </span>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { key, scope, signOut } = useAuth();
  return (
    <LiveActivityProvider>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="shell">
        <header className="topbar">
          <span className="brand">AgenFleet</span>
          <nav aria-label="Main">
            <ul>
              {NAV.map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} end={item.end}>
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <div className="whoami">
            <LiveIndicator />
            <span className="small" data-testid="key-scope">
              {key ? `${key.name} · ` : ''}
              {scope === undefined ? 'checking key…' : scope === 'read' ? 'read-only key' : 'read-write key'}
            </span>
            <button type="button" className="button secondary" onClick={() => signOut()}>
              Sign out
            </button>
          </div>
        </header>
        <main id="main" className="content">
          {children}
        </main>
      </div>
    </LiveActivityProvider>
  );
}
