/**
 * Start-up: `--help`, `--version` and `info` load no native module (sharp, koffi) and no command
 * implementation; the modules a run loads are recorded by a load hook in the child process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../helpers.js';

const BIN = join(projectRoot, 'bin', 'focuslite.js');
const RECORDER = pathToFileURL(join(projectRoot, 'dist', 'test', 'cli', 'fixtures', 'record-loads.js')).href;

/** Runs the CLI with `args` and returns its exit status, stdout and the ES modules it loaded. */
function loadedModules(args: string[]): { status: number | null; stdout: string; urls: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-startup-'));
  try {
    const log = join(dir, 'loads.txt');
    const r = spawnSync(process.execPath, ['--import', RECORDER, BIN, ...args], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: { ...process.env, FOCUSLITE_LOAD_LOG: log },
    });
    let urls: string[] = [];
    try {
      urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    } catch {
      // no module loaded at all would mean the recorder failed: the length check below says so
    }
    return { status: r.status, stdout: r.stdout, urls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const NATIVE = /\/node_modules\/(sharp|koffi|@img|onnxruntime-node)\//;
const IMPLEMENTATIONS = /\/dist\/src\/(pipeline\/(score-files|slide-batch|slide-score|demo|image-heatmap)|train\/(trainer|pixel-cache|training-data)|eval\/(cv|evaluate-dataset|compare|plots)|synth\/dataset|runtime\/(compute|measure)-engine|core\/kernels\/index|io\/(decode|slide\/index))\.js$/;

for (const args of [['--help'], ['--version'], ['info', join(projectRoot, 'models', 'focuslite-1k.json')]]) {
  test(`focuslite ${args[0]} loads neither sharp nor koffi`, () => {
    const { status, stdout, urls } = loadedModules(args);
    assert.equal(status, 0, stdout);
    assert.ok(urls.some((u) => u.endsWith('/dist/src/cli/main.js')), `the recorder saw the CLI load (${urls.length} modules)`);
    assert.deepEqual(urls.filter((u) => NATIVE.test(u)), []);
    // no command's implementation is loaded to print help or model info (option definitions
    // take their constants from small modules)
    assert.deepEqual(urls.filter((u) => IMPLEMENTATIONS.test(u)), []);
  });
}

test('the recorder sees sharp where a command does load it (the check can fail)', () => {
  const { urls } = loadedModules(['score', '--format', 'json', join(projectRoot, 'no-such-file.png')]);
  assert.ok(urls.some((u) => NATIVE.test(u)), 'score loads sharp');
  assert.ok(urls.some((u) => IMPLEMENTATIONS.test(u)), 'score loads its implementation');
});
