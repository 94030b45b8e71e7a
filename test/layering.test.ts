/**
 * The floors of src/ (bottom up): core → io → runtime → applications (pipeline, synth, train, eval)
 * → faces (cli, the public index; later http). No import may run up. This test reads every .ts
 * file under src/, collects its import specifiers with the TypeScript parser (import/export-from,
 * `import type`, dynamic `import()` and `typeof import()` types) and checks them against the rules
 * below, so a new upward import fails here instead of being found in a review.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';
import { projectRoot } from './helpers.js';

type Layer = 'core' | 'io' | 'runtime' | 'pipeline' | 'synth' | 'train' | 'eval' | 'cli' | 'http' | 'index';

/** Height of each floor; an import may go to a lower floor or stay on its own. */
const FLOOR: Record<Layer, number> = { core: 0, io: 1, runtime: 2, pipeline: 3, synth: 3, train: 3, eval: 3, cli: 4, http: 4, index: 4 };

/**
 * Imports between applications (same floor) that are allowed, and why. Everything else between
 * applications is a violation: shared tools go down a floor instead.
 */
const APP_EDGES: ReadonlyMap<string, string> = new Map([
  ['eval->train', 'cross-validation trains a model per split'],
  ['eval->pipeline', 'evaluation scores its images with the file-scoring pipeline'],
  ['pipeline->synth', 'the demo scores a synthetic tissue-like image'],
]);

/**
 * Imports between the faces that are allowed, file by file, and why. A face never builds on
 * another; the CLI only starts the HTTP server through its one command.
 */
const FACE_EDGES: ReadonlyMap<string, string> = new Map([
  ['src/cli/serve.ts -> src/http/server.ts', '`focuslite serve` starts the HTTP face'],
  ['src/cli/serve.ts -> src/http/auth.ts', '`focuslite serve` checks the token rule before starting'],
]);

/** Packages that touch the platform's native code: only io calls them. */
const NATIVE_PACKAGES = new Set(['sharp', 'koffi', 'onnxruntime-node']);

/**
 * Today's violations, each with the move that removes it. The test fails on any violation not
 * listed here, and also on an entry that no longer occurs, so this list only shrinks.
 */
const KNOWN_VIOLATIONS: ReadonlyMap<string, string> = new Map([
]);

export interface ImportEdge {
  /** importing file, relative to the project root with forward slashes (src/...) */
  readonly from: string;
  /** resolved file (src/....ts) for a relative specifier, else the bare specifier (node:fs, sharp) */
  readonly to: string;
}

/** Every module specifier a source file names, in order. */
export function importSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      // a computed specifier cannot be checked: refuse it so the graph stays complete
      if (!arg || !ts.isStringLiteralLike(arg)) throw new Error(`${fileName}: dynamic import() with a computed specifier`);
      out.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** The file a relative specifier names (`./x.js` → `.../x.ts`), or the bare specifier itself. */
export function resolveSpecifier(from: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  return posix.normalize(posix.join(posix.dirname(from), specifier)).replace(/\.js$/, '.ts');
}

function sourceFiles(dir: string, rel: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const relPath = `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(path, relPath));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(relPath);
  }
  return out.sort();
}

/** The import graph of src/ as it is on disk. */
export function sourceGraph(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(join(root, 'src'), 'src')) {
    for (const spec of importSpecifiers(file, readFileSync(join(root, file), 'utf8'))) edges.push({ from: file, to: resolveSpecifier(file, spec) });
  }
  return edges;
}

/** The floor a src/ file lives on; throws for a folder the rules do not know (add it to FLOOR). */
export function layerOf(file: string): Layer {
  if (file === 'src/index.ts') return 'index';
  const m = /^src\/([^/]+)\//.exec(file);
  if (!m || !(m[1]! in FLOOR)) throw new Error(`${file}: not in a known layer (${Object.keys(FLOOR).join(', ')}); add its folder to the layering rules`);
  return m[1] as Layer;
}

/** Why an edge breaks the rules, or null when it keeps them. */
export function violation(edge: ImportEdge): string | null {
  const from = layerOf(edge.from);
  if (!edge.to.startsWith('src/')) {
    const pkg = edge.to.startsWith('@') ? edge.to.split('/').slice(0, 2).join('/') : edge.to.split('/')[0]!;
    if (from === 'core') return `core is platform-free but imports ${edge.to}`;
    if (NATIVE_PACKAGES.has(pkg) && from !== 'io') return `${pkg} is called only from io`;
    return null;
  }
  const to = layerOf(edge.to);
  if (from === to) return null;
  if (FLOOR[to] < FLOOR[from]) return null;
  if (FLOOR[to] > FLOOR[from]) return `${from} imports up to ${to}`;
  if (FLOOR[from] === 3 && APP_EDGES.has(`${from}->${to}`)) return null;
  if (FLOOR[from] === 4 && FACE_EDGES.has(`${edge.from} -> ${edge.to}`)) return null;
  return `${from} imports ${to}, another ${FLOOR[from] === 3 ? 'application' : 'face'} (not an allowed edge)`;
}

export function edgeKey(edge: ImportEdge): string {
  return `${edge.from} -> ${edge.to}`;
}

/** Violations not in `known`, and entries of `known` that no longer occur. */
export function checkLayering(edges: readonly ImportEdge[], known: ReadonlyMap<string, string>): { fresh: string[]; stale: string[] } {
  const seen = new Set<string>();
  const fresh: string[] = [];
  for (const edge of edges) {
    const why = violation(edge);
    if (why === null) continue;
    const key = edgeKey(edge);
    seen.add(key);
    if (!known.has(key)) fresh.push(`${key}: ${why}`);
  }
  const stale = [...known.keys()].filter((k) => !seen.has(k));
  return { fresh: [...new Set(fresh)], stale };
}

test('no import in src/ runs up the floors (beyond the listed, shrinking exceptions)', () => {
  const edges = sourceGraph(projectRoot);
  assert.ok(edges.length > 100, `expected a real import graph, found ${edges.length} edges`);
  const { fresh, stale } = checkLayering(edges, KNOWN_VIOLATIONS);
  assert.deepEqual(fresh, [], 'new layering violations');
  assert.deepEqual(stale, [], 'fixed violations still listed in KNOWN_VIOLATIONS: remove them');
});

test('the specifier reader sees static, type-only, re-export and dynamic imports', () => {
  const text = [
    "import a from './a.js';",
    "import type { B } from '../io/b.js';",
    "export { c } from './c.js';",
    "export * from './d.js';",
    "type K = typeof import('koffi');",
    "async function f() { await import('../cli/e.js'); }",
    "const s = 'import(\"./not-an-import.js\")';",
  ].join('\n');
  assert.deepEqual(importSpecifiers('src/core/x.ts', text), ['./a.js', '../io/b.js', './c.js', './d.js', 'koffi', '../cli/e.js']);
  assert.throws(() => importSpecifiers('src/core/x.ts', 'const m = "./x.js"; import(m);'), /computed specifier/);
  assert.equal(resolveSpecifier('src/train/engine.ts', '../pipeline/worker-pool.js'), 'src/pipeline/worker-pool.ts');
});

test('the rules fail on a new violation in a synthetic graph', () => {
  const graph: ImportEdge[] = [
    { from: 'src/io/decode.ts', to: 'src/core/image.ts' }, // down: fine
    { from: 'src/eval/cv.ts', to: 'src/train/trainer.ts' }, // allowed application edge
    { from: 'src/core/score.ts', to: 'src/io/decode.ts' }, // up
    { from: 'src/core/image.ts', to: 'node:fs' }, // platform import in core
    { from: 'src/pipeline/x.ts', to: 'sharp' }, // native package outside io
    { from: 'src/train/x.ts', to: 'src/eval/metrics.ts' }, // application to application
    { from: 'src/cli/x.ts', to: 'src/http/y.ts' }, // face to face
    { from: 'src/runtime/pool.ts', to: 'src/pipeline/kernel.ts' }, // runtime up to an application
  ];
  const { fresh, stale } = checkLayering(graph, new Map([['src/core/score.ts -> src/io/decode.ts', 'listed'], ['src/a.ts -> b', 'gone']]));
  assert.deepEqual(fresh, [
    'src/core/image.ts -> node:fs: core is platform-free but imports node:fs',
    'src/pipeline/x.ts -> sharp: sharp is called only from io',
    'src/train/x.ts -> src/eval/metrics.ts: train imports eval, another application (not an allowed edge)',
    'src/cli/x.ts -> src/http/y.ts: cli imports http, another face (not an allowed edge)',
    'src/runtime/pool.ts -> src/pipeline/kernel.ts: runtime imports up to pipeline',
  ]);
  assert.deepEqual(stale, ['src/a.ts -> b']);
  assert.throws(() => layerOf('src/misc/x.ts'), /not in a known layer/);
});
