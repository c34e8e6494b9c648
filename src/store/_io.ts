/**
 * The store's file protocol on one directory: atomic replace with a kept
 * previous version, load with fallback, move-aside of corrupt versions.
 * See `store.ts` for the guarantees.
 * @module
 */
import type { Clock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import type { Logger } from "../log/mod.ts";
import { errorText } from "./_dir.ts";
import {
  decodeUnit,
  encodeUnit,
  FormatError,
  type Members,
} from "./_format.ts";
import { CORRUPT_INFIX, PREV_SUFFIX } from "./_names.ts";
import type { StoreFs } from "./fs.ts";

/** Infix of temporary files; they always start with "." so never clash with names. */
export const TMP_INFIX = ".tmp-";

/** Outcome of loading one version file. */
export type Loaded =
  | { kind: "missing" }
  | { kind: "ok"; members: Members }
  | { kind: "bad"; reason: string };

/** Checks a decoded unit; throws (or rejects) to refuse it. The result is ignored. */
export type MembersValidator = (members: Members) => unknown;

/** Directory-bound helpers shared by the store's operations. */
export class UnitFiles {
  #seq = 0;
  /** The directory fsync in flight, if any. */
  #runningSync: Promise<void> | undefined;
  /** The directory fsync that starts when the running one ends, if any. */
  #queuedSync: Promise<void> | undefined;
  constructor(
    readonly dir: string,
    readonly fs: StoreFs,
    readonly clock: Clock,
    readonly log: Logger,
  ) {}

  /** Path of the current version of unit `name`. */
  current(name: string): string {
    return `${this.dir}/${name}`;
  }

  /** Path of the previous good version of unit `name`. */
  prev(name: string): string {
    return `${this.dir}/${name}${PREV_SUFFIX}`;
  }

  /** A fresh temporary path in the state dir for `base`. */
  temp(base: string): string {
    const rnd = Array.from(crypto.getRandomValues(new Uint8Array(4)))
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${this.dir}/.${base}${TMP_INFIX}${Deno.pid}-${++this.#seq}-${rnd}`;
  }

  /** Read, decode and validate one version file. */
  async load(
    name: string,
    path: string,
    validate?: MembersValidator,
  ): Promise<Loaded> {
    let bytes: Uint8Array;
    try {
      bytes = await this.fs.readFile(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return { kind: "missing" };
      return { kind: "bad", reason: `cannot be read: ${errorText(err)}` };
    }
    let members: Members;
    try {
      members = await decodeUnit(name, bytes);
    } catch (err) {
      if (err instanceof FormatError) {
        return { kind: "bad", reason: err.message };
      }
      throw err;
    }
    if (validate) {
      try {
        await validate(members);
      } catch (err) {
        return {
          kind: "bad",
          reason: `rejected by the validator: ${errorText(err)}`,
        };
      }
    }
    return { kind: "ok", members };
  }

  /** Rename a corrupt file to `<file>.corrupt-<ms>` (never deleted); returns the new path. */
  async moveAside(path: string): Promise<string> {
    const stamp = this.clock.now();
    for (let i = 0;; i++) {
      const target = `${path}${CORRUPT_INFIX}${stamp}${i === 0 ? "" : `-${i}`}`;
      try {
        await this.fs.stat(target);
        continue; // taken (same millisecond): try the next suffix
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      await this.fs.rename(path, target);
      await this.syncDir();
      return target;
    }
  }

  /**
   * Atomically replace unit `name`: write + fsync a temp file (while the
   * current version is read and checked), keep the current version as
   * `.prev` (hard link + rename, so the current name never disappears) unless
   * it is corrupt, rename the temp file in, fsync the directory (shared with
   * concurrent writers: see {@link UnitFiles.syncDir}).
   */
  async write(name: string, members: Members): Promise<void> {
    const bytes = await encodeUnit(name, members);
    const current = this.current(name);
    const tmp = this.temp(name);
    let prevTmp: string | undefined;
    let renamed = false;
    try {
      // Reading the current version does not depend on the temp file: do
      // both at once, and wait for both before acting on either.
      const [written, loaded] = await Promise.allSettled([
        this.fs.writeNewFileSynced(tmp, bytes, 0o600),
        this.load(name, current),
      ]);
      if (written.status === "rejected") throw written.reason;
      if (loaded.status === "rejected") throw loaded.reason;
      const now = loaded.value;
      if (now.kind === "ok") {
        prevTmp = this.temp(name + PREV_SUFFIX);
        await this.fs.link(current, prevTmp);
        await this.fs.rename(prevTmp, this.prev(name));
        // POSIX rename is a no-op when both names already link the same
        // file (a crash between the two renames leaves prev == current),
        // so the temp link may survive it: remove it.
        await this.#removeQuietly(prevTmp);
        prevTmp = undefined;
      } else if (now.kind === "bad") {
        // Never make a corrupt file the fallback; keep it for forensics.
        const aside = await this.moveAside(current);
        this.log.warn("corrupt current version moved aside before write", {
          unit: name,
          reason: now.reason,
          movedTo: aside,
        });
      }
      await this.fs.rename(tmp, current);
      renamed = true;
      await this.syncDir();
    } catch (err) {
      if (!renamed) await this.#removeQuietly(tmp);
      if (prevTmp) await this.#removeQuietly(prevTmp);
      throw writeFailed(name, current, this.dir, err, renamed);
    }
  }

  /**
   * fsync the directory, group-committed: a caller joins the next fsync that
   * STARTS after its call (so it covers every rename the caller finished
   * before calling), never one already in flight. Concurrent writers thus
   * share one directory fsync instead of queueing one each.
   */
  syncDir(): Promise<void> {
    if (this.#queuedSync) return this.#queuedSync;
    if (!this.#runningSync) return this.#startSync();
    const queued = this.#runningSync.then(() => {}, () => {}).then(() => {
      this.#queuedSync = undefined;
      return this.#startSync();
    });
    this.#queuedSync = queued;
    return queued;
  }

  #startSync(): Promise<void> {
    const running: Promise<void> = this.fs.syncDir(this.dir).finally(() => {
      if (this.#runningSync === running) this.#runningSync = undefined;
    });
    this.#runningSync = running;
    return running;
  }

  /** Remove leftovers of writes interrupted by a crash. Only safe under the lock. */
  async removeStaleTemps(): Promise<string[]> {
    const removed: string[] = [];
    for (const entry of await this.fs.readDir(this.dir)) {
      if (entry.startsWith(".") && entry.includes(TMP_INFIX)) {
        await this.#removeQuietly(`${this.dir}/${entry}`);
        removed.push(entry);
      }
    }
    if (removed.length > 0) await this.fs.syncDir(this.dir);
    return removed;
  }

  async #removeQuietly(path: string): Promise<void> {
    try {
      await this.fs.remove(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        this.log.warn("cannot remove temporary file", {
          path,
          error: errorText(err),
        });
      }
    }
  }
}

/** `STORE_WRITE_FAILED`, saying plainly when the disk is full. */
function writeFailed(
  name: string,
  path: string,
  dir: string,
  err: unknown,
  renamed: boolean,
): EdgeError {
  const code = (err as { code?: unknown } | null)?.code;
  const tail = renamed
    ? "; the new version is in place but may not survive a power loss"
    : "; the previous version is unchanged";
  if (code === "ENOSPC" || code === "EDQUOT") {
    const what = code === "ENOSPC"
      ? "no space left on device"
      : "disk quota exceeded";
    return new EdgeError(
      "STORE_WRITE_FAILED",
      `Cannot write unit "${name}" to "${path}": the disk is full (${what}, ${code}); ` +
        `free space on the filesystem holding "${dir}" and retry${tail}`,
      { cause: err },
    );
  }
  return new EdgeError(
    "STORE_WRITE_FAILED",
    `Cannot write unit "${name}" to "${path}": ${errorText(err)}${tail}`,
    { cause: err },
  );
}
