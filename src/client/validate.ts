/**
 * Checks of caller-supplied values. Every failure is an
 * `ActorMqError('INVALID_REQUEST', …)` naming the option and the value, thrown
 * where the value enters the client, so a typo fails at construction rather
 * than as a broker error much later.
 */
import { ActorMqError } from '../protocol/errors.js';
import { topicNamePattern } from '../protocol/limits.js';

export function invalid(message: string): ActorMqError {
  return new ActorMqError('INVALID_REQUEST', message);
}

/** Returns `value`, or `fallback` when it is undefined; throws unless it is an integer in [min, max]. */
export function integerOption(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw invalid(`${name} must be ${range}, got ${String(value)}`);
  }
  return value;
}

export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(`${name} must be a boolean, got ${String(value)}`);
  return value;
}

/** Throws on keys the options type does not have: a misspelt option would otherwise be ignored silently. */
export function checkOptionNames(where: string, options: object, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null) throw invalid(`${where} options must be an object`);
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw invalid(`${where} has no option ${JSON.stringify(name)}; known: ${known.join(', ')}`);
  }
}

export function checkTopicName(topic: unknown): string {
  if (typeof topic !== 'string' || !topicNamePattern.test(topic)) {
    throw invalid(`topic name must match ${topicNamePattern}, got ${JSON.stringify(topic)}`);
  }
  return topic;
}

/** A required integer argument, at least `min`. */
export function integerArgument(name: string, value: unknown, min: number): number {
  if (value === undefined) throw invalid(`${name} is required`);
  return integerOption(name, value, min, min);
}
