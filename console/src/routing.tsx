// What the console needs of routing and wouter has not: a nav link marked as the current page.
// Everything else comes from wouter itself (`Router` with base /console in main.tsx, `Switch` and
// `Route` with full paths, `Link`, `useLocation`, `useParams`, `useSearchParams`, `Redirect`).
import { Link, useLocation } from 'wouter';
import type { AnchorHTMLAttributes } from 'react';

type NavLinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href' | 'className'> & {
  to: string;
  className?: string;
  /** Active only exactly at `to`, not below it. */
  end?: boolean;
};

const normal = (path: string) => path.toLowerCase().replace(/\/+$/, '') || '/';

/** A `Link` marked `active` (class, `aria-current="page"`) when the location is at or below it
 *  (exactly at it with `end`). */
export function NavLink({ end = false, className, to, ...props }: NavLinkProps) {
  const here = normal(useLocation()[0]);
  const there = normal(to);
  const active = here === there || (!end && there !== '/' && here.startsWith(`${there}/`));
  return (
    <Link
      {...props}
      to={to}
      className={[className, active ? 'active' : ''].filter(Boolean).join(' ') || undefined}
      aria-current={active ? 'page' : undefined}
    />
  );
}
