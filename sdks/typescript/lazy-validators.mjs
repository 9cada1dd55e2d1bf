// Run by ./generate after openapi-ts: makes the generated operations load zod and their schemas
// on their first validation instead of at import.
//   node lazy-validators.mjs src/generated/sdk.gen.ts
//
// openapi-ts imports zod and every schema at the top of sdk.gen.ts. Building 200 schemas and
// loading zod costs a browser ~60 KB of JavaScript and a long task before its first paint, even
// for an app that turns validation off (`validate: false`). This rewrites, and only rewrites:
// - the two static imports (`zod`, `./zod.gen.js`) into one import of `loadSchemas`
//   (../schemas.ts, a dynamic import, so bundlers put zod in a chunk of its own);
// - each `requestValidator` / `responseValidator` into a function that awaits `loadSchemas()`
//   and reads `z` and the schemas from what it resolves to.
// The rewrite is checked: every validator must match and no reference to zod may remain, or the
// script fails (a generator update that changes its output breaks the build, not the SDK).
import { readFileSync, writeFileSync } from 'node:fs';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: node lazy-validators.mjs src/generated/sdk.gen.ts');
let source = readFileSync(file, 'utf8');

const fail = (why) => {
  console.error(`lazy-validators: ${file}: ${why}`);
  process.exit(1);
};
const replaceOnce = (pattern, replacement, what) => {
  const matches = source.match(new RegExp(pattern.source, `${pattern.flags}g`)) ?? [];
  if (matches.length !== 1) fail(`expected one ${what}, found ${matches.length}`);
  source = source.replace(pattern, replacement);
};

replaceOnce(/^import \* as z from 'zod';\n/m, '', "`import * as z from 'zod'`");
replaceOnce(
  /^import \{[^}]*\} from '\.\/zod\.gen\.js';\n/m,
  "import { loadSchemas } from '../schemas.js';\n",
  "import from './zod.gen.js'",
);

// `z` and `zSomething` as whole identifiers (not a property such as `.z` or part of a name).
const schemaReference = /(?<![\w$.])(z(?:[A-Z]\w*)?)\b/g;
const total = (source.match(/\b(?:request|response)Validator: /g) ?? []).length;
let rewritten = 0;
source = source.replace(
  /\b(requestValidator|responseValidator): async \(data\) =>\s*await ([\s\S]*?)\.parseAsync\(data\),/g,
  (_, name, schema) => {
    rewritten += 1;
    const lazy = schema.replace(schemaReference, '$.$1');
    return `${name}: async (data) => {\n const $ = await loadSchemas();\n return await ${lazy}.parseAsync(data);\n },`;
  },
);
if (rewritten === 0 || rewritten !== total) fail(`rewrote ${rewritten} of ${total} validators`);
const left = source.replace(/\$\.z\w*/g, '').match(schemaReference);
if (left) fail(`references to zod remain: ${[...new Set(left)].join(', ')}`);

writeFileSync(file, source);
