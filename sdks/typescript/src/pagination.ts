// Iteration over every item of a list operation (the contract's `{data, pagination}` envelope).
import type { Pagination } from './generated/types.gen.js';

/** A page of a list operation. */
export interface Page<T> {
  data: T[];
  pagination: Pagination;
}

/** Fetches one page: a generated list method called with the given limit and offset. */
export type PageFetcher<T> = (page: {
  limit: number;
  offset: number;
}) => Promise<{ data: Page<T> } | Page<T>>;

export interface PaginateOptions {
  /** Page size, 1..100 (default 100, the largest the API allows). */
  limit?: number;
  /** Where to start (default 0). */
  offset?: number;
}

/**
 * Yields every item of a list, fetching page after page with limit/offset until the server says
 * `hasMore: false`:
 *
 * ```ts
 * for await (const agent of paginate((page) => client.listAgents({ query: { ...page, status: 'online' } }))) {}
 * ```
 */
export async function* paginate<T>(
  fetchPage: PageFetcher<T>,
  options: PaginateOptions = {},
): AsyncGenerator<T, void, undefined> {
  const limit = options.limit ?? 100;
  let offset = options.offset ?? 0;
  for (;;) {
    const result = await fetchPage({ limit, offset });
    const page: Page<T> = 'pagination' in result ? result : result.data;
    yield* page.data;
    if (!page.pagination.hasMore || page.data.length === 0) return;
    offset += page.data.length;
  }
}
