// The console's pages. Everything but sign-in needs a key; history routing under /console/
// (the API serves index.html for any /console/ path that is not a file).
// (Routing is wouter: a `Switch` takes its first matching `Route`, so the most specific come first.)
import { Component, lazy, Suspense, type ComponentType, type ReactNode } from 'react';
import { Redirect, Route, Switch, useLocation, useSearch } from 'wouter';
import { useMaybeAuth } from './api/auth';
import { Loading } from './components/bits';
import { ErrorNotice } from './components/ErrorNotice';
import { Layout } from './components/Layout';
import { FleetPage } from './pages/fleet/FleetPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { SignInPage } from './pages/SignInPage';

// Each page is its own chunk, loaded when first visited: the first paint needs only the frame
// and the page it shows, not every chart and editor of the console. The fleet page, the home
// page, is in the main chunk: opening the console costs no second round trip for it.
const page = <T,>(load: () => Promise<T>, pick: (module: T) => ComponentType) => {
  const Page = lazy(async () => ({ default: pick(await load()) }));
  return bounded(
    <Suspense fallback={<Loading what="Loading the page" />}>
      <Page />
    </Suspense>,
  );
};

/** A page that failed (its chunk could not be loaded, say) is said in words, in the frame. */
class PageFailure extends Component<{ children: ReactNode; path: string }, { error: unknown; path: string | null }> {
  state = { error: null as unknown, path: null as string | null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  componentDidCatch() {
    // The path the error happened on: going to another page clears it.
    this.setState({ path: this.props.path });
  }

  componentDidUpdate() {
    if (this.state.error && this.state.path !== null && this.state.path !== this.props.path) {
      this.setState({ error: null, path: null });
    }
  }

  render() {
    return this.state.error ? <ErrorNotice error={this.state.error} /> : this.props.children;
  }
}

function PageBoundary({ children }: { children: ReactNode }) {
  return <PageFailure path={useLocation()[0]}>{children}</PageFailure>;
}

const bounded = (element: ReactNode) => <PageBoundary>{element}</PageBoundary>;

function RequireAuth({ children }: { children: ReactNode }) {
  const auth = useMaybeAuth();
  const [pathname] = useLocation();
  const search = useSearch();
  if (!auth) return <Redirect to="/sign-in" replace state={{ from: pathname + (search ? `?${search}` : '') }} />;
  return children;
}

const agentPage = page(() => import('./pages/agent/AgentPage'), (m) => m.AgentPage);
const costPage = page(() => import('./pages/cost/CostPage'), (m) => m.CostPage);
const cronPage = page(() => import('./pages/cron/CronPage'), (m) => m.CronPage);
const webhooksPage = page(() => import('./pages/webhooks/WebhooksPage'), (m) => m.WebhooksPage);
const activityPage = page(() => import('./pages/activity/ActivityPage'), (m) => m.ActivityPage);
const apiKeysPage = page(() => import('./pages/settings/ApiKeysPage'), (m) => m.ApiKeysPage);

export function AppRoutes() {
  return (
    <Switch>
      <Route path="/sign-in">{bounded(<SignInPage />)}</Route>
      <Route>
        <RequireAuth>
          <Layout>
            <Switch>
              <Route path="/">{bounded(<FleetPage />)}</Route>
              <Route path="/agents/:agentId/*?">{agentPage}</Route>
              <Route path="/cost">{costPage}</Route>
              <Route path="/cron/*?">{cronPage}</Route>
              <Route path="/webhooks/*?">{webhooksPage}</Route>
              <Route path="/activity">{activityPage}</Route>
              <Route path="/settings/api-keys">{apiKeysPage}</Route>
              <Route>{bounded(<NotFoundPage />)}</Route>
            </Switch>
          </Layout>
        </RequireAuth>
      </Route>
    </Switch>
  );
}
