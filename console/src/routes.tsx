// The console's pages. Everything but sign-in needs a key; history routing under /console/
// (the API serves index.html for any /console/ path that is not a file).
import type { ComponentType, ReactNode } from 'react';
import { createBrowserRouter, Navigate, useLocation } from 'react-router';
import { useMaybeAuth } from './api/auth';
import { Layout } from './components/Layout';
import { FleetPage } from './pages/fleet/FleetPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { SignInPage } from './pages/SignInPage';

// Each page is its own chunk, loaded when first visited: the first paint needs only the frame
// and the page it shows, not every chart and editor of the console. The fleet page, the home
// page, is in the main chunk: opening the console costs no second round trip for it.
const page = <T,>(load: () => Promise<T>, pick: (module: T) => ComponentType) => async () => ({
  Component: pick(await load()),
});

export const FLEET_ROUTE_ID = 'fleet';

function RequireAuth({ children }: { children: ReactNode }) {
  const auth = useMaybeAuth();
  const location = useLocation();
  if (!auth) return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />;
  return children;
}

export const router = createBrowserRouter(
  [
    { path: '/sign-in', element: <SignInPage /> },
    {
      element: (
        <RequireAuth>
          <Layout />
        </RequireAuth>
      ),
      children: [
        { index: true, id: FLEET_ROUTE_ID, Component: FleetPage },
        {
          path: 'agents/:agentId/*',
          lazy: page(() => import('./pages/agent/AgentPage'), (m) => m.AgentPage),
        },
        { path: 'cost', lazy: page(() => import('./pages/cost/CostPage'), (m) => m.CostPage) },
        { path: 'cron/*', lazy: page(() => import('./pages/cron/CronPage'), (m) => m.CronPage) },
        {
          path: 'webhooks/*',
          lazy: page(() => import('./pages/webhooks/WebhooksPage'), (m) => m.WebhooksPage),
        },
        {
          path: 'activity',
          lazy: page(() => import('./pages/activity/ActivityPage'), (m) => m.ActivityPage),
        },
        {
          path: 'settings/api-keys',
          lazy: page(() => import('./pages/settings/ApiKeysPage'), (m) => m.ApiKeysPage),
        },
        { path: '*', element: <NotFoundPage /> },
      ],
    },
  ],
  // With the trailing slash, the fleet's URL is /console/ (what the API redirects /console to),
  // so that reloading it keeps its query string (?status=…).
  { basename: '/console/' },
);
