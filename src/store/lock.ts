/**
 * Cross-process lock of a state dir, so two runtimes never share one: an
 * exclusive `flock` on `<dir>/.lock` (via `Deno.FsFile.tryLock`), holding the
 * owner's pid for the error message. The kernel drops the lock when the
 * process dies, so a crash never leaves a stale lock; the file itself is
 * never deleted (deleting lock files races).
 * @module
 */
import { EdgeError } from "../errors.ts";

/** Name of the lock file inside the state dir. */
export const LOCK_FILE = ".lock";

/** A held lock; release it (or let the process exit) to free the dir. */
export interface StoreLock extends Disposable {
  /** Path of the lock file. */
  readonly path: string;
  /** Release the lock. Idempotent. */
  release(): void;
}

/**
 * Take the exclusive lock of `dir` without waiting. Throws `STORE_LOCKED`
 * ("state dir … is in use by pid N") when another holder has it.
 *
 * @example
 * ```ts
 * using _lock = await lockDir("/var/lib/edge-runtime");
 * ```
 */
export async function lockDir(dir: string): Promise<StoreLock> {
  const path = `${dir}/${LOCK_FILE}`;
  const file = await Deno.open(path, {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  let locked = false;
  try {
    locked = await file.tryLock(true);
    if (!locked) {
      const pid = await readPid(path);
      throw new EdgeError(
        "STORE_LOCKED",
        `State dir "${dir}" is in use by ${
          pid === undefined ? "another process" : `pid ${pid}`
        }` +
          `: stop that process or use another state dir`,
      );
    }
    await file.truncate(0);
    await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  } catch (err) {
    if (locked) file.unlockSync();
    file.close();
    throw err;
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    file.unlockSync();
    file.close();
  };
  return { path, release, [Symbol.dispose]: release };
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const text = (await Deno.readTextFile(path)).trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
