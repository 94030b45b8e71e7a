// Bundles the browser pages (web/*.ts, with src/core and its WebAssembly kernel for in-page
// scoring) into dist/web with esbuild, and copies the HTML and CSS beside them. `npm run build` runs it.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'web');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ['cohort.ts', 'viewer.ts', 'score-worker.ts'].map((f) => join(src, f)),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  outdir: out,
  sourcemap: true,
  minify: false,
  logLevel: 'warning',
});
for (const f of readdirSync(src)) if (/\.(html|css)$/.test(f)) copyFileSync(join(src, f), join(out, f));
