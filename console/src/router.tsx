// History routing for the console: the part of react-router's API it uses (`BrowserRouter`,
// `Routes`/`Route` with nested `<Routes>` under splat routes, `Outlet`, `Link`, `NavLink`,
// `Navigate`, `useLocation`, `useNavigate`, `useParams`, `useSearchParams`), with the same
// behaviour for what the console does with it, in ~3 KB instead of ~13 KB gzipped.
//
// Why not react-router: on a phone, its route ranking, URL objects per link and layers of hooks
// were ~40% of the fleet page's first render (~35 ms here, ×4 on a phone), and the console needs
// none of its data loading (TanStack Query does that).
//
// What it does: every `to` is an absolute path inside the console ('/agents/x?tab=y') or a
// search ('?a=b'), or is resolved against the route it is used in; paths are matched without
// regard to case or trailing slashes; among a `<Routes>`' routes, the most specific matches
// (static segments before `:params` before `*`, as react-router ranks them).
import {
  Children,
  createContext,
  isValidElement,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type AnchorHTMLAttributes,
  type MouseEvent,
  type ReactElement,
  type ReactNode,
} from 'react';

export interface Location {
  pathname: string;
  search: string;
  hash: string;
  state: unknown;
  key: string;
}

export interface NavigateOptions {
  replace?: boolean;
  state?: unknown;
}

export type NavigateFunction = (to: string | number, options?: NavigateOptions) => void;

interface RouterState {
  basename: string;
  location: Location;
  navigate: (to: string, options?: NavigateOptions) => void;
}

interface RouteMatch {
  params: Record<string, string>;
  /** The part of the pathname matched by the routes so far (without a splat's part). */
  base: string;
  outlet: ReactNode;
}

const RouterContext = createContext<RouterState | null>(null);
const RouteContext = createContext<RouteMatch>({ params: {}, base: '/', outlet: null });

function useRouter(): RouterState {
  const router = useContext(RouterContext);
  if (!router) throw new Error('used outside BrowserRouter');
  return router;
}

let keys = 0;
const newKey = () => `${Date.now().toString(36)}${(keys++).toString(36)}`;

/** The browser's location, relative to `basename` ('/console/agents/x' → '/agents/x'). */
function readLocation(basename: string): Location {
  const { pathname, search, hash } = window.location;
  const base = basename.replace(/\/+$/, '');
  const inside = pathname.toLowerCase().startsWith(base.toLowerCase()) ? pathname.slice(base.length) : pathname;
  const state = window.history.state as { usr?: unknown; key?: string } | null;
  return {
    pathname: inside.startsWith('/') ? inside : `/${inside}`,
    search,
    hash,
    state: state?.usr ?? null,
    key: state?.key ?? 'default',
  };
}

/** `to` ('/a/b?c', '?c', 'b') as pathname and search, resolved against `from` for a relative path. */
function resolve(to: string, fromPathname: string, fromBase: string): { pathname: string; search: string; hash: string } {
  const hashAt = to.indexOf('#');
  const hash = hashAt >= 0 ? to.slice(hashAt) : '';
  const rest = hashAt >= 0 ? to.slice(0, hashAt) : to;
  const searchAt = rest.indexOf('?');
  const path = searchAt >= 0 ? rest.slice(0, searchAt) : rest;
  const query = searchAt >= 0 ? rest.slice(searchAt) : '';
  const search = query === '?' ? '' : query;
  if (path === '') return { pathname: fromPathname, search, hash };
  const segments = path.startsWith('/') ? [] : fromBase.split('/').filter(Boolean);
  for (const segment of path.split('/')) {
    if (segment === '..') segments.pop();
    else if (segment && segment !== '.') segments.push(segment);
  }
  return { pathname: `/${segments.join('/')}`, search, hash };
}

const createHref = (basename: string, to: { pathname: string; search: string; hash: string }) =>
  basename.replace(/\/+$/, '') + (to.pathname === '/' ? '/' : to.pathname) + to.search + to.hash;

/** The router: the location, kept in sync with the browser's history. */
export function BrowserRouter({ basename = '/', children }: { basename?: string; children: ReactNode }) {
  const [location, setLocation] = useState(() => readLocation(basename));
  useEffect(() => {
    const onPop = () => setLocation(readLocation(basename));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [basename]);
  const navigate = useCallback(
    (to: string, { replace = false, state = null }: NavigateOptions = {}) => {
      const current = readLocation(basename);
      const target = resolve(to, current.pathname, current.pathname);
      const key = newKey();
      const href = createHref(basename, target);
      if (replace) window.history.replaceState({ usr: state, key }, '', href);
      else window.history.pushState({ usr: state, key }, '', href);
      setLocation({ ...target, state, key });
    },
    [basename],
  );
  const router = useMemo(() => ({ basename, location, navigate }), [basename, location, navigate]);
  return <RouterContext.Provider value={router}>{children}</RouterContext.Provider>;
}

export function useLocation(): Location {
  return useRouter().location;
}

/** Navigates to an absolute path, a search, a path relative to the route it is used in, or back (-1). */
export function useNavigate(): NavigateFunction {
  const { navigate } = useRouter();
  const { base } = useContext(RouteContext);
  return useCallback(
    (to: string | number, options?: NavigateOptions) => {
      if (typeof to === 'number') window.history.go(to);
      else navigate(to.startsWith('/') || to.startsWith('?') ? to : resolve(to, base, base).pathname, options);
    },
    [navigate, base],
  );
}

export function useParams(): Record<string, string | undefined> {
  return useContext(RouteContext).params;
}

type SearchInit = URLSearchParams | Record<string, string> | string;

/** The location's query string, and a setter that navigates to the same path with another one. */
export function useSearchParams(): [URLSearchParams, (next: SearchInit, options?: NavigateOptions) => void] {
  const { location, navigate } = useRouter();
  const params = useMemo(() => new URLSearchParams(location.search), [location.search]);
  const setParams = useCallback(
    (next: SearchInit, options?: NavigateOptions) => navigate(`?${new URLSearchParams(next).toString()}`, options),
    [navigate],
  );
  return [params, setParams];
}

// ---- Routes

export interface RouteProps {
  path?: string;
  index?: boolean;
  element?: ReactNode;
  children?: ReactNode;
}

/** A route, read by `<Routes>` (never rendered itself). */
export function Route(_props: RouteProps): ReactElement | null {
  return null;
}

interface Branch {
  /** The routes from the outermost, each with its pattern's segments. */
  routes: { route: RouteProps; segments: string[] }[];
  score: number;
}

const segmentsOf = (path: string) => path.split('/').filter(Boolean);

/** Every path through the routes (a layout route without a path leads to its children). */
function branches(children: ReactNode, parents: Branch['routes'] = []): Branch[] {
  const result: Branch[] = [];
  for (const child of Children.toArray(children)) {
    if (!isValidElement<RouteProps>(child) || child.type !== Route) continue;
    const route = child.props;
    const chain = [...parents, { route, segments: route.path ? segmentsOf(route.path) : [] }];
    if (route.children) result.push(...branches(route.children, chain));
    if (route.index || route.path !== undefined) result.push({ routes: chain, score: score(chain) });
  }
  return result;
}

/** react-router's ranking of a route's whole path: segments 10 if static, 3 if a param, 1 if
 *  empty, plus their count, 2 for an index route, -2 for a splat. */
function score(routes: Branch['routes']): number {
  const segments = ['', ...routes.flatMap((r) => r.segments)];
  if (routes.at(-1)!.route.index || segments.length === 1) segments.push('');
  let total = segments.length + (segments.includes('*') ? -2 : 0) + (routes.at(-1)!.route.index ? 2 : 0);
  for (const segment of segments) {
    if (segment !== '*') total += segment.startsWith(':') ? 3 : segment === '' ? 1 : 10;
  }
  return total;
}

/** The branch's params and matched base for `path` (segments), or null. */
function matchBranch(branch: Branch, path: string[]): { params: Record<string, string>; bases: number[] } | null {
  const params: Record<string, string> = {};
  const bases: number[] = [];
  let at = 0;
  for (const { route, segments } of branch.routes) {
    for (const segment of segments) {
      if (segment === '*') {
        params['*'] = path.slice(at).join('/');
        bases.push(at);
        return { params, bases: fill(bases, branch.routes.length, at) };
      }
      const actual = path[at];
      if (actual === undefined) return null;
      if (segment.startsWith(':')) params[segment.slice(1)] = safeDecode(actual);
      else if (segment.toLowerCase() !== actual.toLowerCase()) return null;
      at += 1;
    }
    if (route.index && at !== path.length) return null;
    bases.push(at);
  }
  return at === path.length ? { params, bases } : null;
}

const fill = (bases: number[], length: number, at: number) => [...bases, ...Array(length - bases.length).fill(at)];

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Renders the most specific route matching the location (below the route it is in, if any). */
export function Routes({ children }: { children: ReactNode }) {
  const { location } = useRouter();
  const parent = useContext(RouteContext);
  const all = branches(children).sort((a, b) => b.score - a.score);
  const baseSegments = segmentsOf(parent.base);
  const path = segmentsOf(location.pathname).slice(baseSegments.length);
  for (const branch of all) {
    const match = matchBranch(branch, path);
    if (!match) continue;
    const params = { ...parent.params, ...match.params };
    // From the innermost route out: each one's element with the next one as its outlet.
    let outlet: ReactNode = null;
    for (let i = branch.routes.length - 1; i >= 0; i--) {
      const base = `/${[...baseSegments, ...path.slice(0, match.bases[i])].join('/')}`;
      const value: RouteMatch = { params, base, outlet };
      outlet = <RouteContext.Provider value={value}>{branch.routes[i]!.route.element ?? <Outlet />}</RouteContext.Provider>;
    }
    return outlet;
  }
  return null;
}

/** The element of the child route that matched, in a layout route. */
export function Outlet() {
  return useContext(RouteContext).outlet;
}

/** Navigates when rendered (e.g. to sign in). */
export function Navigate({ to, replace, state }: { to: string } & NavigateOptions) {
  const navigate = useNavigate();
  useEffect(() => navigate(to, { replace, state }), [navigate, to, replace, state]);
  return null;
}

// ---- Links

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string; replace?: boolean };

function useLinkTarget(to: string) {
  const { basename, location } = useRouter();
  const { base } = useContext(RouteContext);
  const target = to.startsWith('?') ? resolve(to, location.pathname, base) : resolve(to, base, base);
  return { target, href: createHref(basename, target), location };
}

/** A link followed by the router (a plain click), or by the browser (new tab, other button). */
export function Link({ to, replace, onClick, target, ...rest }: LinkProps) {
  const { navigate } = useRouter();
  const { target: path, href, location } = useLinkTarget(to);
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || (target && target !== '_self')) return;
    if (event.metaKey || event.altKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    // As react-router: a link to where one already is replaces the entry.
    const same = path.pathname === location.pathname && path.search === location.search && path.hash === location.hash;
    navigate(path.pathname + path.search + path.hash, { replace: replace ?? same });
  };
  return <a {...rest} href={href} target={target} onClick={follow} />;
}

/** A `Link` marked `active` (class, `aria-current="page"`) when the location is at or below it
 *  (exactly at it with `end`). */
export function NavLink({ end = false, className, ...props }: LinkProps & { end?: boolean }) {
  const { target, location } = useLinkTarget(props.to);
  const here = location.pathname.toLowerCase().replace(/\/+$/, '') || '/';
  const there = target.pathname.toLowerCase().replace(/\/+$/, '') || '/';
  const active = here === there || (!end && there !== '/' && here.startsWith(`${there}/`));
  return (
    <Link
      {...props}
      className={[className, active ? 'active' : ''].filter(Boolean).join(' ') || undefined}
      aria-current={active ? 'page' : undefined}
    />
  );
}
