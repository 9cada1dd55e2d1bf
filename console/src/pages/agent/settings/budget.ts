// Token budgets as typed in a form: empty means "no budget" (null in the API).
export function parseBudget(text: string): number | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** A budget as the value of a number input ('' when none). */
export function budgetText(value: number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}
