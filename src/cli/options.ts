/** Option parsers shared by the commands: each fails with "Expected ... for <name> but received ...". */
import { InvalidArgumentError } from 'commander';

export function intOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`Expected integer between ${min} and ${max} for ${name} but received ${value}`);
    }
    return n;
  };
}

export function numberOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Expected number between ${min} and ${max} for ${name} but received ${value}`);
    }
    return n;
  };
}

export function choiceOption<T extends string>(name: string, choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!choices.includes(value as T)) {
      throw new InvalidArgumentError(`Expected one of ${choices.join(', ')} for ${name} but received ${value}`);
    }
    return value as T;
  };
}
