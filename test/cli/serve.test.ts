/** `focuslite serve` as a user starts it: it serves until SIGTERM (exit 0) and refuses bad starts in one line. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../helpers.js';
import { runCli } from '../http/fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-cli-serve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('serve runs until SIGTERM and exits 0; an empty folder is an empty cohort', async () => {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), 'serve', dir, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(err);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  const doc = (await (await fetch(`${url}/api/slides`)).json()) as { slides: unknown[] };
  assert.deepEqual(doc.slides, []);
  const code = await new Promise<number | null>((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (c) => resolve(c));
    child.kill('SIGTERM');
  });
  assert.equal(code, 0, err);
});

test('serve refuses a missing folder, a public host without a token and a busy port, in one line each', async () => {
  const missing = runCli(['serve', join(dir, 'nope'), '--port', '0']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^focuslite: .*nope: folder not found\n$/);
  const open = runCli(['serve', dir, '--host', '0.0.0.0', '--port', '0'], projectRoot);
  assert.equal(open.code, 1);
  assert.match(open.stderr, /^focuslite: --host 0\.0\.0\.0 .*--token or FOCUSLITE_TOKEN\n$/);
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  const port = (busy.address() as { port: number }).port;
  try {
    const res = runCli(['serve', dir, '--port', String(port)]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`^focuslite: port ${port} on 127\\.0\\.0\\.1 is in use`));
    assert.equal(res.stderr.trim().split('\n').length, 1);
  } finally {
    busy.close();
  }
});
