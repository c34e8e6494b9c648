/**
 * Unit and member names: `[a-z0-9][a-z0-9._-]*`, at most 100 characters, no
 * slashes, and never a suffix the store uses itself (`.prev`, `.corrupt-…`).
 * @module
 */

const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** Suffix of the previous good version of a unit. */
export const PREV_SUFFIX = ".prev";
/** Infix of a corrupt version moved aside for forensics. */
export const CORRUPT_INFIX = ".corrupt-";

/** True when `name` is a valid unit or member name. */
export function isValidName(name: string): boolean {
  return NAME.test(name) && !name.endsWith(PREV_SUFFIX) &&
    !name.includes(CORRUPT_INFIX);
}

/** Throw a `TypeError` naming `what` when `name` is not valid. */
export function assertName(name: string, what: string): void {
  if (typeof name !== "string" || !isValidName(name)) {
    throw new TypeError(
      `Invalid ${what} ${
        JSON.stringify(name)
      }: expected [a-z0-9][a-z0-9._-]*, ` +
        `at most 100 characters, not ending in "${PREV_SUFFIX}" nor containing "${CORRUPT_INFIX}"`,
    );
  }
}
