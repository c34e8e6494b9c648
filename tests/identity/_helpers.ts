/** Shared helpers of the identity tests. */
import { EdgeError } from "../../src/errors.ts";
import { openStore, type Store } from "../../src/store/mod.ts";

/** A temp dir removed after `fn`. */
export async function withTempDir<T>(
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "edge-identity-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A store in a fresh temp dir. */
export async function tempStore(dir: string): Promise<Store> {
  return await openStore(`${dir}/state`);
}

/** Poll `cond` every 5 ms (real time) until true or `timeoutMs` passes. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `fn` rejects with an EdgeError of `code`; returns it. */
export async function rejectsWith(
  fn: () => Promise<unknown>,
  code: string,
): Promise<EdgeError> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof EdgeError)) throw err;
    if (err.code !== code) {
      throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
    }
    return err;
  }
  throw new Error(`expected a ${code} error, nothing was thrown`);
}
