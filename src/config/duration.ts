/**
 * Durations as written in configuration: `"90s"`, `"1h30m"`, `"7d"`,
 * `"500ms"`, `"2w"`. {@link parseDuration} returns milliseconds;
 * {@link formatDuration} writes them back.
 * @module
 */

const UNITS: readonly [unit: string, ms: number][] = [
  ["w", 7 * 24 * 3_600_000],
  ["d", 24 * 3_600_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
  ["ms", 1],
];
const UNIT_MS = new Map(UNITS);
const PART = /^(\d+(?:\.\d+)?)([a-zA-Z]+)/;

/** Why {@link parseDuration} rejected a text (a `SyntaxError` subclass). */
export class DurationSyntaxError extends SyntaxError {
  /** Short reason, e.g. `unknown unit "x"`. */
  readonly reason: string;

  /** @param input the rejected text, @param reason short reason */
  constructor(input: string, reason: string) {
    super(`duration ${JSON.stringify(input)}: ${reason}`);
    this.name = "DurationSyntaxError";
    this.reason = reason;
  }
}

/**
 * Parse a duration: one or more `<number><unit>` parts, largest unit first,
 * each unit at most once. Units: `w`, `d`, `h`, `m`, `s`, `ms`. Numbers may
 * have a fraction (`"1.5h"`) but the total must be whole milliseconds.
 * Empty text, a bare number (`"10"`), unknown units, signs and spaces are
 * rejected.
 *
 * @throws {DurationSyntaxError}
 * @example
 * ```ts
 * parseDuration("1h30m"); // 5_400_000
 * ```
 */
export function parseDuration(text: string): number {
  if (typeof text !== "string") {
    throw new TypeError(`duration must be a string, got ${typeof text}`);
  }
  const fail = (reason: string): never => {
    throw new DurationSyntaxError(text, reason);
  };
  if (text === "") fail("cannot be empty");
  if (/^[+-]/.test(text)) {
    fail("cannot have a sign; durations are never negative");
  }
  if (/^\d+(\.\d+)?$/.test(text)) {
    fail('missing unit, for example "s", "m" or "h"');
  }
  let rest = text;
  let total = 0;
  let lastRank = -1;
  while (rest !== "") {
    const m = PART.exec(rest);
    if (!m) fail(`unexpected ${JSON.stringify(rest)}`);
    const [whole, num, unit] = m!;
    const perUnit = UNIT_MS.get(unit);
    if (perUnit === undefined) fail(`unknown unit ${JSON.stringify(unit)}`);
    const rank = UNITS.findIndex(([u]) => u === unit);
    if (rank <= lastRank) {
      fail("units must go from largest to smallest, each at most once");
    }
    lastRank = rank;
    const ms = Number(num) * perUnit!;
    if (Math.abs(ms - Math.round(ms)) > 1e-6) {
      fail("is not a whole number of milliseconds");
    }
    total += Math.round(ms);
    rest = rest.slice(whole.length);
  }
  if (!Number.isSafeInteger(total)) {
    fail("too large");
  }
  return total;
}

/**
 * Format milliseconds as the shortest compound duration using `d`, `h`,
 * `m`, `s`, `ms` (no weeks, so `"7d"` stays readable); `0` → `"0s"`.
 * `parseDuration(formatDuration(ms)) === ms`.
 *
 * @throws {RangeError} for negative or non-integer input
 * @example
 * ```ts
 * formatDuration(5_400_000); // "1h30m"
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new RangeError(
      `duration must be a non-negative whole number of milliseconds, got ${ms}`,
    );
  }
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of UNITS) {
    if (unit === "w") continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
