// Runs before the app's modules (a classic script, from this origin, as the CSP wants). zod —
// the SDK validates every answer with it — compiles parsers with `new Function` unless told not
// to, and probes for it when its first schema is built, at module load; the console's
// Content-Security-Policy forbids eval, so it must run jitless, set before zod loads.
globalThis.__zod_globalConfig = { ...globalThis.__zod_globalConfig, jitless: true };
