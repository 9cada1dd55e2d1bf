// Builds the console into dist/, which is committed and embedded in the api binary
// (api/src/console.rs) so that running AgenFleet needs no Node. `./build --check` proves the
// committed dist/ is what these sources build.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const sdk = fileURLToPath(new URL('../sdks/typescript/src/index.ts', import.meta.url));

export default defineConfig({
  // Served by the API under /console/ (also by `npm run dev`, which proxies /v1 to a local
  // `agenfleet dev` on AGENFLEET_URL or 127.0.0.1:8080).
  base: '/console/',
  resolve: {
    alias: [
      { find: '@agenfleet/sdk', replacement: sdk },
      // React's API on Preact (~10 KB gzipped instead of ~60, and far less to evaluate on a phone;
      // measured in docs/BENCHMARKS.md): the sources and TanStack Query import 'react' and get
      // preact/compat. `react` and `react-dom` stay in package.json for TanStack Query's peer
      // dependency and the types; removing these five aliases builds the console on React again.
      { find: /^react$/, replacement: 'preact/compat' },
      { find: /^react\/jsx-(dev-)?runtime$/, replacement: 'preact/jsx-runtime' },
      { find: /^react-dom$/, replacement: 'preact/compat' },
      { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
      // wouter's shim of useSyncExternalStore for React < 18: preact/compat has the hook itself.
      { find: /^use-sync-external-store\/shim(\/index\.js)?$/, replacement: 'preact/compat' },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // One JS and one CSS file per chunk, named by content hash: cacheable forever.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 900,
    rollupOptions: {
      onwarn(warning, warn) {
        // React Server Components' "use client" markers mean nothing in a client-only app.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: { '/v1': process.env.AGENFLEET_URL ?? 'http://127.0.0.1:8080' },
  },
});
