// Every item of a list endpoint of the API (all pages), for comparing a page with the API.
import { apiOk } from './fixtures';

export async function allItems<T = any>(path: string, key?: string): Promise<T[]> {
  const items: T[] = [];
  const separator = path.includes('?') ? '&' : '?';
  for (let offset = 0; ; offset += 100) {
    const page = await apiOk(`GET`, `${path}${separator}limit=100&offset=${offset}`, key ? { key } : {});
    items.push(...page.data);
    if (!page.pagination.hasMore) return items;
  }
}
