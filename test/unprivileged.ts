/**
 * Running a child without root's privileges, so that permission errors are real: tests run as
 * root in CI, and root reads a chmod 000 file anyway. As root, the child runs in a new user
 * namespace (`unshare -U`, util-linux): it keeps uid 0 towards the files, so it still reads a
 * checkout in a 0700 folder (CI clones into one), but holds no capabilities, so a chmod 000 file
 * or folder is denied as it would be to any user. Where unshare is not allowed, it falls back to
 * `setpriv` as user nobody (which needs the checkout readable by nobody). As any other user, the
 * child simply runs as that user.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NOBODY = 65534;
const find = (...paths: string[]): string | undefined => paths.find((p) => existsSync(p));
const UNSHARE = find('/usr/bin/unshare', '/bin/unshare');
const SETPRIV = find('/usr/bin/setpriv', '/bin/setpriv');

/** Ways to drop root's privileges, best first: the command line prefix of each. */
const CANDIDATES: ReadonlyArray<readonly string[]> = [
  ...(UNSHARE ? [[UNSHARE, '--user']] : []),
  ...(SETPRIV ? [[SETPRIV, `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups']] : []),
];

/** This compiled file: a child that cannot read it cannot run the compiled CLI beside it. */
const THIS_FILE = fileURLToPath(import.meta.url);
/** Exits 0 when argv[1] is readable and argv[2] (a chmod 000 file) is not. */
const PROBE = "const fs = require('node:fs'); fs.accessSync(process.argv[1], fs.constants.R_OK); try { fs.readFileSync(process.argv[2]); process.exit(3); } catch (e) { process.exit(e.code === 'EACCES' ? 0 : 4); }";

let chosen: readonly string[] | null | undefined;

/** The first candidate that both reads this checkout and is denied a chmod 000 file, or null. */
function prefix(): readonly string[] | null {
  if (chosen !== undefined) return chosen;
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-unprivileged-'));
  try {
    const locked = join(dir, 'locked');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0o000);
    chosen = CANDIDATES.find((c) => spawnSync(c[0]!, [...c.slice(1), process.execPath, '-e', PROBE, THIS_FILE, locked]).status === 0) ?? null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return chosen;
}

/** Skip reason when permissions cannot be tested here, else false. */
export function unprivilegedSkip(): string | false {
  if (process.getuid?.() !== 0) return false;
  if (CANDIDATES.length === 0) return 'running as root without unshare or setpriv: permission-denied cases cannot be tested (install util-linux)';
  return prefix() ? false : 'running as root, and neither unshare --user nor setpriv as nobody gives a child that reads the checkout but is denied a chmod 000 file: permission-denied cases cannot be tested here';
}

/** The command line that runs `argv` (a program and its arguments) without root's privileges. */
export function unprivileged(argv: readonly string[]): { file: string; args: string[] } {
  if (process.getuid?.() !== 0) return { file: argv[0]!, args: argv.slice(1) };
  const p = prefix();
  if (!p) throw new Error('no way to drop root privileges here (see unprivilegedSkip)');
  return { file: p[0]!, args: [...p.slice(1), ...argv] };
}
