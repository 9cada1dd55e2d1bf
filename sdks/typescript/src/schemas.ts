// zod and the generated schemas, loaded on first use (the generated operations and the activity
// stream call this; see ../lazy-validators.mjs): an app that never validates never loads them,
// and a bundler puts them in a chunk of their own.
type Schemas = typeof import('./validation.js');

let loading: Promise<Schemas> | undefined;

export function loadSchemas(): Promise<Schemas> {
  loading ??= import('./validation.js');
  return loading;
}
