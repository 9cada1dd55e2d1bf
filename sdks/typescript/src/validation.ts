// What the generated validators use, imported only by `loadSchemas` (./schemas.ts): every
// generated schema, and as `z` the few zod functions the operations' request validators call
// (named, so that a bundler keeps only the parts of zod these need).
import { never, object } from 'zod';

export * from './generated/zod.gen.js';
export const z = { never, object };
