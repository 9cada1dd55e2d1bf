// Previous / next through a list of the API (limit/offset), saying where we are.
import type { Pagination } from '@agenfleet/sdk';
import { formatInteger } from './format';

export function Pager({
  pagination,
  onOffset,
  label = 'Pages',
}: {
  pagination: Pagination;
  onOffset: (offset: number) => void;
  label?: string;
}) {
  const { offset, limit, total, hasMore } = pagination;
  if (total <= limit && offset === 0) return null;
  const last = Math.min(offset + limit, total);
  return (
    <nav className="pager" aria-label={label}>
      <span className="small muted">
        {total === 0 ? 'None' : `${formatInteger(offset + 1)}–${formatInteger(last)} of ${formatInteger(total)}`}
      </span>
      <button
        type="button"
        className="button secondary"
        disabled={offset === 0}
        onClick={() => onOffset(Math.max(0, offset - limit))}
      >
        Previous
      </button>
      <button type="button" className="button secondary" disabled={!hasMore} onClick={() => onOffset(offset + limit)}>
        Next
      </button>
    </nav>
  );
}

/** The `offset` search parameter of a paginated page (0 when absent or not a number). */
export function offsetParam(params: URLSearchParams): number {
  const value = Number(params.get('offset') ?? 0);
  return Number.isInteger(value) && value > 0 ? value : 0;
}
