/**
 * CLI entry: one file per command in this folder, each exporting a commander Command factory.
 * All logic lives in the library; commands parse options, call it, and print.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { handleBrokenPipes } from './broken-pipe.js';
import { commandFactories } from './commands.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('focuslite')
    .description('Focus quality assessment for digital pathology (FocusLiteNN). Higher score = blurrier.')
    .version(version())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const make of commandFactories) program.addCommand(make().exitOverride());
  return program;
}

/** Runs the CLI; resolves to the process exit code. Errors are printed as one line. */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  handleBrokenPipes();
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help/version exit with 0; usage errors were already printed by commander
      return err.exitCode;
    }
    process.stderr.write(`focuslite: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
