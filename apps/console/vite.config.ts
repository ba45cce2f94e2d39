import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const money = fileURLToPath(new URL('../../libs/money/src/index.ts', import.meta.url));

// The console is served by the standalone app at `/` (apps/standalone/src/console/). In
// development (`npm run console:dev`), Vite serves it with hot reload and passes the API to a
// running `npm start` on :8080, so the browser still sees one origin.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // @billing/money's package points at its built dist/; the bundle takes its sources, as tsc does.
  resolve: { alias: { '@billing/money': money } },
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Everything the browser loads is a file of this origin (the page's CSP allows nothing else).
    assetsInlineLimit: 0,
    rolldownOptions: {
      // TanStack Query marks its modules "use client" for React Server Components, which a
      // browser-only bundle has no use for: the warning says nothing here.
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE') return;
        handler(level, log);
      },
    },
  },
  server: {
    port: 5173,
    proxy: { '/v1': 'http://localhost:8080', '/api': 'http://localhost:8080' },
  },
});
