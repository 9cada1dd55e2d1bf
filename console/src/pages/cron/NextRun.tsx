// When a job fires next, in the job's zone and in the viewer's.
import { formatDateTime, formatRelative, viewerTimeZone } from '../../components/format';

export function NextRun({ at, timeZone }: { at: string | null; timeZone: string }) {
  if (!at) return <span className="muted">Not scheduled</span>;
  const yours = viewerTimeZone();
  return (
    <span className="next-run" data-testid="next-run">
      <span>
        {formatDateTime(at, timeZone)} <span className="muted small">{timeZone}</span>
      </span>
      <span className="small">
        {formatDateTime(at, yours)} <span className="muted">your time ({yours})</span>
      </span>
      <span className="small muted">{formatRelative(at)}</span>
    </span>
  );
}
