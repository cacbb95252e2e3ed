// Parsers for commander option values: each refuses a bad value with a message naming the flag and value.
import { InvalidArgumentError } from 'commander';

/** An integer (within [min, max]) option value. */
export function intOption(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`'${value}' is not an integer.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${n} is outside [${min}, ${max}].`);
    return n;
  };
}

/** A finite number (within [min, max]) option value. */
export function floatOption(min = -Infinity, max = Infinity): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`'${value}' is not a number.`);
    if (n < min || n > max) throw new InvalidArgumentError(`${n} is outside [${min}, ${max}].`);
    return n;
  };
}

/** One of a fixed set of words. */
export function choiceOption<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`'${value}' is not one of ${choices.join(', ')}.`);
    }
    return value as T;
  };
}

/** A dash-separated list of positive integers, e.g. '13-512-256-64-16'. */
export function layerListOption(value: string): number[] {
  const parts = value.split('-');
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) <= 0)) {
    throw new InvalidArgumentError(
      `'${value}' is not a dash-separated list of positive integers (e.g. 13-512-256-64-16).`,
    );
  }
  return parts.map(Number);
}
