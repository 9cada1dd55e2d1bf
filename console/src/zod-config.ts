// zod (the SDK validates every answer with it) compiles parsers with `new Function` unless told
// not to; the console's Content-Security-Policy forbids eval, so it runs jitless. Imported first
// by main.tsx: the setting is read when each schema is built, at the SDK's module load.
import { config } from 'zod';

config({ jitless: true });
