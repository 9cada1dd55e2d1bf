// One activity entry: when, what, who, and its data on demand (as text, never as HTML).
import type { ActivityEntry } from '@agenfleet/sdk';
import { memo } from 'react';
import { formatDateTime, formatRelative } from '../../../components/format';
import { describeActor, describeEntry } from './describe';

function ActivityItemView({ entry, now }: { entry: ActivityEntry; now: number }) {
  return (
    <li className="timeline-item" data-testid="activity-entry" data-type={entry.type}>
      {/* The whole row opens the entry's data (shown as text, never as HTML). */}
      <details>
        <summary className="timeline-head">
          <time dateTime={entry.timestamp} title={formatDateTime(entry.timestamp)} className="muted small">
            {formatRelative(entry.timestamp, now)}
          </time>
          <code className="entry-type">{entry.type}</code>
          <span className="entry-what">{describeEntry(entry)}</span>
          <span className="muted small">
            by {describeActor(entry)} · #{entry.sequence}
          </span>
        </summary>
        <pre>{JSON.stringify(entry.data, null, 2)}</pre>
      </details>
    </li>
  );
}

export const ActivityItem = memo(ActivityItemView);
