// Configuration of @hey-api/openapi-ts for the AgenFleet SDK (run through ./generate).
//
// The two resolvers below change only how the zod plugin renders schemas, never what the
// document says:
// - objects become `z.strictObject` so that a key the document does not describe fails
//   validation (it means the document misses a field) instead of being silently dropped;
//   objects that are maps (`additionalProperties` without properties) keep the default, and
//   so do the header-parameter objects of operations: the fetch client validates the request
//   with its merged `Headers` instance, whose (enumerable, inherited) methods a strict object
//   would reject as unknown keys, failing every call that has a header parameter;
// - int64 integers stay JavaScript numbers (`z.int()`, safe integers) to agree with the
//   generated TypeScript types, instead of the default `z.coerce.bigint()`, which would
//   also accept strings such as "12".
const input = process.env.AGENFLEET_OPENAPI;
if (!input) throw new Error('AGENFLEET_OPENAPI must name the OpenAPI document');

// The walker's path of an operation's header-parameter object: paths › route › method › headers.
const isHeaderParameters = (ctx) => {
  const path = ctx.walkerCtx?.path?.['~ref'];
  return Array.isArray(path) && path.length === 4 && path[0] === 'paths' && path[3] === 'headers';
};

const isMap = (schema) =>
  Boolean(schema.additionalProperties) &&
  !(schema.properties && Object.keys(schema.properties).length);

export default {
  input,
  // Explicit `.js` import extensions (ESM for Node and browsers); no tsconfig look-up, so the
  // output depends on the document and this file alone.
  output: { path: 'src/generated', clean: true, importFileExtension: '.js', tsConfigPath: null },
  logs: { level: 'warn' },
  plugins: [
    '@hey-api/typescript',
    { name: '@hey-api/client-fetch', throwOnError: true },
    {
      name: 'zod',
      '~resolvers': {
        object(ctx) {
          if (isMap(ctx.schema) || isHeaderParameters(ctx)) return undefined;
          return ctx.$(ctx.symbols.z).attr('strictObject').call(ctx.nodes.shape(ctx));
        },
        number(ctx) {
          if (ctx.schema.format !== 'int64') return undefined;
          const asNumber = {
            ...ctx,
            utils: {
              ...ctx.utils,
              getIntegerLimit: () => undefined,
              maybeBigInt: (value) => ctx.$.fromValue(value),
              shouldCoerceToBigInt: () => false,
            },
          };
          for (const node of ['base', 'const', 'min', 'max']) {
            const next = asNumber.nodes[node](asNumber);
            if (next) asNumber.chain.current = next;
            if (node === 'const' && next) break;
          }
          return asNumber.chain.current;
        },
      },
    },
    {
      name: '@hey-api/sdk',
      validator: true,
      operations: { strategy: 'single', containerName: 'AgenFleetApi', methods: 'instance' },
    },
  ],
};
