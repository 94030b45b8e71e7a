/**
 * Argument checks shared by every layer (as sharp's lib/is.js): predicates, and asserting helpers
 * that return the checked value or throw one standard message,
 * "Expected integer between 1 and 64 for threads but received 0". Options parsed from the
 * command line go through the same messages (src/cli/options.ts), so a bad value reads the same
 * whether it came from a flag or the library API. Pure TS.
 */

/** How a received value is shown in a message: numbers and strings as they are. */
function shown(actual: unknown): string {
  return typeof actual === 'string' || typeof actual === 'number' ? String(actual) : typeof actual === 'bigint' ? `${actual}n` : JSON.stringify(actual) ?? String(actual);
}

/** The standard message: "Expected <expected> for <name> but received <actual>". */
export function expectedMessage(name: string, expected: string, actual: unknown): string {
  return `Expected ${expected} for ${name} but received ${shown(actual)}`;
}

/** The standard error for a bad argument (sharp's invalidParameterError, without the type). */
export function invalidParameterError(name: string, expected: string, actual: unknown): Error {
  return new Error(expectedMessage(name, expected, actual));
}

/** True for a number within [min, max] (NaN is in no range). */
export function inRange(value: number, min: number, max: number): boolean {
  return value >= min && value <= max;
}

export function isInteger(value: unknown): value is number {
  return Number.isInteger(value);
}

/** The largest thread count any pool or engine accepts. */
export const MAX_THREADS = 256;

/** `value` when it is an integer in [min, max]; else the standard error. */
export function integer(name: string, value: number, min: number, max: number): number {
  if (!isInteger(value) || !inRange(value, min, max)) throw invalidParameterError(name, `integer between ${min} and ${max}`, value);
  return value;
}

/** `value` when it is a finite number in [min, max]; else the standard error. */
export function finiteNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || !inRange(value, min, max)) throw invalidParameterError(name, `number between ${min} and ${max}`, value);
  return value;
}

/** `value` when it is one of `choices`; else the standard error listing them. */
export function oneOf<T>(name: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) throw invalidParameterError(name, `one of ${choices.join(', ')}`, value);
  return value as T;
}

/** A thread count: 1..MAX_THREADS. */
export function threads(value: number): number {
  return integer('threads', value, 1, MAX_THREADS);
}

/** A uint32 seed: 0..4294967295. */
export function seed(value: number, name = 'seed'): number {
  return integer(name, value, 0, 0xffffffff);
}

/** `value` when it is a finite number; else the standard error. */
export function finite(name: string, value: number): number {
  if (!Number.isFinite(value)) throw invalidParameterError(name, 'finite number', value);
  return value;
}

/** `value` when it is a finite number above 0; else the standard error. */
export function positiveNumber(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw invalidParameterError(name, 'positive number', value);
  return value;
}

/** `value` when it is a finite number at or above 0; else the standard error. */
export function nonNegativeNumber(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw invalidParameterError(name, 'non-negative number', value);
  return value;
}

/** `value` when it is an integer of at least 1; else the standard error. */
export function positiveInteger(name: string, value: number): number {
  if (!isInteger(value) || value < 1) throw invalidParameterError(name, 'positive integer', value);
  return value;
}

/** `value` when it is an integer of at least 0; else the standard error. */
export function nonNegativeInteger(name: string, value: number): number {
  if (!isInteger(value) || value < 0) throw invalidParameterError(name, 'non-negative integer', value);
  return value;
}

/** `value` when it is a number in [min, max) (a probability that must stay below 1, say); else the standard error. */
export function halfOpen(name: string, value: number, min: number, max: number): number {
  if (!(value >= min && value < max)) throw invalidParameterError(name, `number in [${min}, ${max})`, value);
  return value;
}

/** `value` when it is an integer of at least `min`; else the standard error ("integer >= 64"). */
export function integerAtLeast(name: string, value: number, min: number): number {
  if (!isInteger(value) || value < min) throw invalidParameterError(name, `integer >= ${min}`, value);
  return value;
}
