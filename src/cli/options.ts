/**
 * Option parsers shared by the commands: each fails with the library's standard message
 * ("Expected integer between 1 and 64 for threads but received 0", src/core/check.ts), so a
 * bad value reads the same from a flag as from the API.
 */
import { InvalidArgumentError } from 'commander';
import { expectedMessage, inRange } from '../core/check.js';

export function intOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !inRange(n, min, max)) {
      throw new InvalidArgumentError(expectedMessage(name, `integer between ${min} and ${max}`, value));
    }
    return n;
  };
}

export function numberOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !inRange(n, min, max)) {
      throw new InvalidArgumentError(expectedMessage(name, `number between ${min} and ${max}`, value));
    }
    return n;
  };
}

export function choiceOption<T extends string>(name: string, choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!choices.includes(value as T)) {
      throw new InvalidArgumentError(expectedMessage(name, `one of ${choices.join(', ')}`, value));
    }
    return value as T;
  };
}
