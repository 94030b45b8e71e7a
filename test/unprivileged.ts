/**
 * Running a child as an unprivileged user, so that permission errors are real: tests run as root
 * in CI, and root reads a chmod 000 file anyway. As root, the child runs as `nobody` through
 * setpriv (util-linux); as any other user, it simply runs as that user.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const NOBODY = 65534;

/** Skip reason when permissions cannot be tested here, else false. */
export function unprivilegedSkip(): string | false {
  if (process.getuid?.() !== 0) return false;
  if (!SETPRIV) return 'running as root without setpriv: permission-denied cases cannot be tested (install util-linux)';
  const probe = spawnSync(SETPRIV, [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', 'process.exit(process.getuid() === 65534 ? 0 : 1)']);
  return probe.status === 0 ? false : `setpriv could not switch to uid ${NOBODY}: permission-denied cases cannot be tested`;
}

/** The command line that runs `argv` (a program and its arguments) without root's privileges. */
export function unprivileged(argv: readonly string[]): { file: string; args: string[] } {
  if (process.getuid?.() !== 0) return { file: argv[0]!, args: argv.slice(1) };
  return { file: SETPRIV!, args: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...argv] };
}
