// Many links, one click handler: a list of 500 agent cards renders plain `<a href data-route>`
// links, and its container follows a plain click on one with the router, as react-router's `Link`
// would (a `Link` costs ~0.25 ms to mount: a quarter of a card). Clicks with a modifier key or
// another button are left to the browser (a new tab, a new window), as with `Link`.
import { useCallback, type MouseEvent } from 'react';
import { useLocation } from 'wouter';

export function useFollowLinks(): (event: MouseEvent<HTMLElement>) => void {
  const [, navigate] = useLocation();
  return useCallback(
    (event: MouseEvent<HTMLElement>) => {
      if (event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.altKey || event.ctrlKey || event.shiftKey) return;
      const link = (event.target as Element).closest<HTMLAnchorElement>('a[data-route]');
      if (!link || !event.currentTarget.contains(link) || (link.target && link.target !== '_self')) return;
      event.preventDefault();
      navigate(link.dataset.route!);
    },
    [navigate],
  );
}
