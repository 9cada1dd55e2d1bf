// Where the console is served. With the trailing slash, the fleet's URL is /console/ (what the API
// redirects /console to), so that reloading it keeps its query string (?status=…).
export const BASENAME = '/console/';

/** wouter's `base`: the console's paths ('/', '/agents/…') are below it. */
export const ROUTER_BASE = '/console';

/** Whether `pathname` is the fleet page (the home page). */
export const isFleetPath = (pathname: string): boolean => pathname.replace(/\/+$/, '/') === BASENAME;

/** The URL of a route of the console, e.g. `/agents/agent_…` → `/console/agents/agent_…`. */
export const routeHref = (route: string): string => BASENAME + route.replace(/^\/+/, '');
