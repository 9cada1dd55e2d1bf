// Every item of a list operation, fast: the first page says how many there are, then the other
// pages are fetched side by side (500 agents: 2 round trips instead of 5). Items are deduplicated
// by id, since a list may shift while it is read.
import type { Page } from '@agenfleet/sdk';

const LIMIT = 100;
const PARALLEL = 4;

export async function allPages<T extends { id?: string; agentId?: string }>(
  fetchPage: (page: { limit: number; offset: number }) => Promise<{ data: Page<T> }>,
): Promise<T[]> {
  const first = (await fetchPage({ limit: LIMIT, offset: 0 })).data;
  const offsets: number[] = [];
  for (let offset = first.data.length; offset < first.pagination.total; offset += LIMIT) offsets.push(offset);
  const rest: T[][] = new Array(offsets.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < offsets.length; i = next++) {
      rest[i] = (await fetchPage({ limit: LIMIT, offset: offsets[i]! })).data.data;
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, offsets.length) }, worker));
  const seen = new Set<string>();
  return [first.data, ...rest].flat().filter((item) => {
    const key = item.id ?? item.agentId;
    if (key === undefined) return true;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
