/**
 * Running a child as an unprivileged user, so that permission errors are real: tests run as root
 * in CI, and root reads a chmod 000 file anyway. As root, the child runs as `nobody` through
 * setpriv (util-linux); as any other user, it simply runs as that user.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const NOBODY = 65534;

/** Skip reason when permissions cannot be tested here, else false. */
export function unprivilegedSkip(): string | false {
  if (process.getuid?.() !== 0) return false;
  if (!SETPRIV) return 'running as root without setpriv: permission-denied cases cannot be tested (install util-linux)';
  const probe = spawnSync(SETPRIV, [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', 'process.exit(process.getuid() === 65534 ? 0 : 1)']);
  if (probe.status !== 0) return `setpriv could not switch to uid ${NOBODY}: permission-denied cases cannot be tested`;
  // A checkout (or temporary folder) that only root may enter, as a CI clone in a 0700 folder is:
  // the child could not even load the CLI, so the case cannot be tested there.
  const reach = spawnSync(SETPRIV, [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', REACH_SCRIPT, THIS_FILE, tmpdir()]);
  return reach.status === 0 ? false : `user nobody cannot read the checkout or write ${tmpdir()}: permission-denied cases cannot be tested here`;
}

/** This compiled file: if nobody can read it, nobody cannot run the compiled CLI beside it. */
const THIS_FILE = fileURLToPath(import.meta.url);
const REACH_SCRIPT = "const fs = require('node:fs'); fs.accessSync(process.argv[1], fs.constants.R_OK); fs.accessSync(process.argv[2], fs.constants.W_OK | fs.constants.X_OK);";

/** The command line that runs `argv` (a program and its arguments) without root's privileges. */
export function unprivileged(argv: readonly string[]): { file: string; args: string[] } {
  if (process.getuid?.() !== 0) return { file: argv[0]!, args: argv.slice(1) };
  return { file: SETPRIV!, args: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...argv] };
}
