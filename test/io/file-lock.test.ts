/** Lock files (io/file-lock.ts): taking, refusing, releasing, and taking over stale locks, on real files and processes. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { breakLock, pidAlive, readLock, staleReason, tryLock, waitForLock } from '../../src/io/file-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited (spawned and waited for). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  assert.equal(r.status, 0);
  assert.ok(!pidAlive(r.pid!), 'the child has exited');
  return r.pid!;
}

test('a lock appears whole; a second attempt sees its holder; release removes it', () => {
  const path = join(dir, 'a.lock');
  const got = tryLock(path, '/slides/a.svs');
  assert.ok(got.acquired);
  const stored = JSON.parse(readFileSync(path, 'utf8'));
  assert.deepEqual([stored.pid, stored.hostname, stored.owner], [process.pid, hostname(), '/slides/a.svs']);
  assert.ok(!Number.isNaN(Date.parse(stored.createdAt)));
  const again = tryLock(path, '/slides/a.svs');
  assert.equal(again.acquired, false);
  if (!again.acquired) assert.equal(again.holder.token, got.lock.info.token);
  assert.ok(got.lock.stillHeld());
  got.lock.release();
  assert.ok(!existsSync(path));
  got.lock.release(); // twice is harmless
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('a.lock')), [], 'no temporary files');
});

test('a lock whose process is dead (same host) is taken over, and says why', () => {
  const path = join(dir, 'dead.lock');
  const pid = deadPid();
  writeFileSync(path, JSON.stringify({ pid, hostname: hostname(), createdAt: new Date().toISOString(), token: 'old', owner: 'x' }));
  const got = tryLock(path, 'x');
  assert.ok(got.acquired);
  if (got.acquired) {
    assert.equal(got.tookOver?.info?.token, 'old');
    assert.equal(got.tookOver?.reason, `process ${pid} on ${hostname()} is not running`);
    assert.equal(readLock(path)?.info?.token, got.lock.info.token);
    got.lock.release();
  }
});

test('a live holder keeps its lock until it is older than staleMs; then it is stale (another host: age only)', () => {
  const path = join(dir, 'old.lock');
  // Another host: its pid cannot be checked here, so only the age counts.
  writeFileSync(path, JSON.stringify({ pid: 1, hostname: 'elsewhere', createdAt: new Date().toISOString(), token: 't', owner: 'x' }));
  const fresh = tryLock(path, 'x', { staleMs: 60_000 });
  assert.equal(fresh.acquired, false);
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(path, hourAgo, hourAgo);
  const got = tryLock(path, 'x', { staleMs: 60_000 });
  assert.ok(got.acquired);
  if (got.acquired) {
    assert.match(got.tookOver!.reason, /^not touched for 36\d\d s$/);
    got.lock.release();
  }
  // This process is alive: its own old lock is stale only by age.
  assert.equal(staleReason({ pid: process.pid, hostname: hostname(), createdAt: '', token: '', owner: '' }, Date.now(), Date.now(), 1000), null);
  assert.match(staleReason({ pid: process.pid, hostname: hostname(), createdAt: '', token: '', owner: '' }, 0, Date.now(), 1000)!, /not touched/);
});

test('a garbage lock file is stale; breaking a stale lock never removes a fresh one', () => {
  const path = join(dir, 'junk.lock');
  writeFileSync(path, 'not json');
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(path, hourAgo, hourAgo);
  const got = tryLock(path, 'x');
  assert.ok(got.acquired);
  if (got.acquired) {
    assert.equal(got.tookOver?.reason, 'lock file is not a focuslite lock');
    // Another run that judged the garbage stale a moment ago, breaking it now, must not remove this fresh lock.
    assert.equal(breakLock(path, null), false);
    assert.equal(breakLock(path, { pid: 1, hostname: 'h', createdAt: '', token: 'someone-else', owner: 'x' }), false);
    assert.ok(got.lock.stillHeld(), 'the fresh lock is back in place');
    assert.equal(tryLock(path, 'x').acquired, false);
    got.lock.release();
  }
});

test('waitForLock waits while a live process holds the lock and takes it when it exits', async () => {
  const path = join(dir, 'wait.lock');
  // A real holder in another process: it takes the lock, says so, and exits when told (stdin closes).
  const { spawn } = await import('node:child_process');
  const lockModule = new URL('../../src/io/file-lock.js', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    const { tryLock } = await import(${JSON.stringify(lockModule)});
    const got = tryLock(${JSON.stringify(path)}, 'x');
    process.stdout.write(got.acquired ? 'locked\\n' : 'busy\\n');
    process.stdin.on('end', () => { got.lock.release(); process.exit(0); });
    process.stdin.resume();
  `], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', (d) => { assert.equal(String(d), 'locked\n'); resolve(); }));
  let waited = false;
  const taking = waitForLock(path, 'x', { pollMs: 20, onWait: (h) => { waited = true; assert.equal(h.pid, child.pid); } });
  assert.ok(waited, 'told it waits for the holder');
  assert.equal(readLock(path)?.info?.pid, child.pid, 'still the child\'s lock');
  child.stdin!.end();
  const got = await taking;
  assert.equal(got.lock.info.pid, process.pid);
  got.lock.release();
});
