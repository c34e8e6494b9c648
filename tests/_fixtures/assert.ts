/**
 * The few assertions the tests use (JSR's @std/assert is unreachable here, so
 * we keep our own, built on node:assert).
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Assert `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg ?? "assertion failed");
}

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (msg === undefined) nodeAssert.deepStrictEqual(actual, expected);
  else nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** Deep strict inequality. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  if (msg === undefined) nodeAssert.notDeepStrictEqual(actual, expected);
  else nodeAssert.notDeepStrictEqual(actual, expected, msg);
}

/** `actual` contains `expected`. */
export function assertStringIncludes(
  actual: string,
  expected: string,
  msg?: string,
): void {
  nodeAssert.ok(
    actual.includes(expected),
    msg ??
      `expected ${JSON.stringify(actual)} to include ${
        JSON.stringify(expected)
      }`,
  );
}

/** `actual` matches `re`. */
export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  if (msg === undefined) nodeAssert.match(actual, re);
  else nodeAssert.match(actual, re, msg);
}

/** `fn` throws (or rejects); returns the error for further checks. */
export async function assertRejects(
  fn: () => unknown,
  check?: (err: unknown) => void,
): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    check?.(err);
    return err;
  }
  throw new nodeAssert.AssertionError({
    message: "expected the function to throw",
  });
}

/** Synchronous variant of {@link assertRejects}. */
export function assertThrows(
  fn: () => unknown,
  check?: (err: unknown) => void,
): unknown {
  try {
    fn();
  } catch (err) {
    check?.(err);
    return err;
  }
  throw new nodeAssert.AssertionError({
    message: "expected the function to throw",
  });
}
