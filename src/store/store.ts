/**
 * The crash-safe state store: every persistent byte of edge-runtime (node key,
 * certificate and CA, hub CA, registry, …) goes through it.
 *
 * **Units.** A unit is a named record of members (`Record<string,
 * Uint8Array>`), stored as ONE file `<dir>/<name>` (format in `_format.ts`:
 * magic, version, unit name, length-prefixed members, SHA-256 of the whole).
 * Members that must change together (key + certificate + CA) are one unit, so
 * a crash leaves the old set or the new set, never a mix. `read`/`write` are
 * the one-member (`"value"`) convenience.
 *
 * **Write** (atomic replace): write the new file to `.<name>.tmp-…` in the same
 * directory (mode 0600) and fsync it; hard-link the current file to a temp
 * name and rename that over `<name>.prev`; rename the temp file over `<name>`;
 * fsync the directory. `<name>` therefore always exists once written, and is
 * always a complete, fsynced file. A full disk gives `STORE_WRITE_FAILED`
 * saying so; the temp file is removed and the previous value stays readable.
 *
 * **Read**: decode `<name>` (checksum, format, then the caller's validator).
 * If it is corrupt, fall back to `<name>.prev`, move the corrupt file aside as
 * `<name>.corrupt-<ms>` (never deleted) and report `source: "prev"` with the
 * reason. Both bad → `STORE_CORRUPT`; missing → `undefined`.
 *
 * **Directory**: created 0700 when missing; refused (`STORE_UNSAFE_DIR`) when
 * group/world-writable or not owned by this uid. {@link Store.lock} takes an
 * exclusive lock so two runtimes never share the dir.
 *
 * Writers are assumed to be one process (hold the lock) and not to write the
 * same unit concurrently from two async tasks.
 *
 * @example
 * ```ts
 * const store = await openStore("/var/lib/edge-runtime");
 * using _lock = await store.lock();
 * await store.writeUnit("identity", { key, cert, ca });
 * const got = await store.readUnit("identity", { validate: checkKeyMatchesCert });
 * ```
 * @module
 */
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import { ensureSafeDir } from "./_dir.ts";
import type { Members } from "./_format.ts";
import { type Loaded, type MembersValidator, UnitFiles } from "./_io.ts";
import { assertName, isValidName, PREV_SUFFIX } from "./_names.ts";
import { denoFs, type StoreFs } from "./fs.ts";
import { lockDir, type StoreLock } from "./lock.ts";

export type { Members, MembersValidator };

/** Member name used by the single-value {@link Store.read}/{@link Store.write}. */
export const VALUE_MEMBER = "value";

/** Options of {@link openStore}. */
export interface StoreOptions {
  /** Filesystem to use. @default denoFs (the real one) */
  fs?: StoreFs;
  /** Clock for `.corrupt-<ms>` names. @default systemClock */
  clock?: Clock;
  /** Logger for fallbacks and move-asides. @default nullLogger */
  logger?: Logger;
}

/** Options of a read. */
export interface ReadUnitOptions {
  /** Extra check of a decoded unit (e.g. "key matches cert"); throw to reject. */
  validate?: MembersValidator;
}

/** A unit as read, with which version was used and why. */
export interface UnitRead {
  /** The members. */
  members: Members;
  /** `"current"` normally; `"prev"` when the current version was missing or corrupt. */
  source: "current" | "prev";
  /** Why the previous version was used (absent for `"current"`). */
  reason?: string;
  /** Where the corrupt current version was moved, if it was. */
  movedAside?: string;
}

/** The state store of one directory. */
export interface Store {
  /** The state directory. */
  readonly dir: string;
  /** Read unit `name`; `undefined` when it was never written (or removed). */
  readUnit(
    name: string,
    options?: ReadUnitOptions,
  ): Promise<UnitRead | undefined>;
  /** Like {@link Store.readUnit} but throws `STORE_NOT_FOUND` when missing. */
  requireUnit(name: string, options?: ReadUnitOptions): Promise<UnitRead>;
  /** Atomically replace all members of unit `name`. */
  writeUnit(name: string, members: Members): Promise<void>;
  /** Read a single-value unit; `validate` sees the bytes. */
  read(
    name: string,
    options?: { validate?: (value: Uint8Array) => void | Promise<void> },
  ): Promise<Uint8Array | undefined>;
  /** Atomically replace a single-value unit. */
  write(name: string, value: Uint8Array): Promise<void>;
  /** Names of all units (current or previous version present), sorted. */
  list(): Promise<string[]>;
  /** Remove unit `name` (both versions; corrupt copies stay). True if anything was removed. */
  remove(name: string): Promise<boolean>;
  /**
   * Take the dir's exclusive cross-process lock (`STORE_LOCKED` when taken),
   * then remove temp files left by interrupted writes.
   */
  lock(): Promise<StoreLock>;
}

/**
 * Open (creating if missing, mode 0700) the store in `dir`. Throws
 * `STORE_UNSAFE_DIR` when the dir is group/world-writable or owned by another
 * user.
 */
export async function openStore(
  dir: string,
  options: StoreOptions = {},
): Promise<Store> {
  const fs = options.fs ?? denoFs;
  const log = options.logger ?? nullLogger;
  const clean = dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
  await ensureSafeDir(fs, clean, Deno.uid());
  const files = new UnitFiles(clean, fs, options.clock ?? systemClock, log);

  const readUnit = async (
    name: string,
    opts: ReadUnitOptions = {},
  ): Promise<UnitRead | undefined> => {
    assertName(name, "unit name");
    const current = files.current(name);
    const now = await files.load(name, current, opts.validate);
    if (now.kind === "ok") return { members: now.members, source: "current" };
    const prev = await files.load(name, files.prev(name), opts.validate);
    if (now.kind === "missing" && prev.kind === "missing") return undefined;
    if (prev.kind !== "ok") {
      throw corrupt(name, current, now, files.prev(name), prev);
    }
    const result: UnitRead = {
      members: prev.members,
      source: "prev",
      reason: now.kind === "missing"
        ? "current version is missing"
        : `current version is corrupt: ${now.reason}`,
    };
    if (now.kind === "bad") result.movedAside = await files.moveAside(current);
    log.warn("state unit read from its previous version", {
      unit: name,
      reason: result.reason,
      movedTo: result.movedAside,
    });
    return result;
  };

  const store: Store = {
    dir: clean,
    readUnit,
    async requireUnit(name, opts) {
      const got = await readUnit(name, opts);
      if (got) return got;
      throw new EdgeError(
        "STORE_NOT_FOUND",
        `Unit "${name}" not found in state dir "${clean}"`,
      );
    },
    async writeUnit(name, members) {
      assertName(name, "unit name");
      await files.write(name, members);
    },
    async read(name, opts = {}) {
      const got = await readUnit(name, {
        validate: async (members) => {
          const keys = Object.keys(members);
          if (keys.length !== 1 || keys[0] !== VALUE_MEMBER) {
            throw new Error(
              `expected a single-value unit (member "${VALUE_MEMBER}"), ` +
                `found members ${JSON.stringify(keys)}`,
            );
          }
          await opts.validate?.(members[VALUE_MEMBER]);
        },
      });
      return got?.members[VALUE_MEMBER];
    },
    write: (name, value) => store.writeUnit(name, { [VALUE_MEMBER]: value }),
    async list() {
      const names = new Set<string>();
      for (const entry of await fs.readDir(clean)) {
        const base = entry.endsWith(PREV_SUFFIX)
          ? entry.slice(0, -PREV_SUFFIX.length)
          : entry;
        if (isValidName(base)) names.add(base);
      }
      return [...names].sort();
    },
    async remove(name) {
      assertName(name, "unit name");
      let removed = false;
      // prev first: a crash in between must not resurrect an older value.
      for (const path of [files.prev(name), files.current(name)]) {
        try {
          await fs.remove(path);
          removed = true;
        } catch (err) {
          if (!(err instanceof Deno.errors.NotFound)) throw err;
        }
      }
      if (removed) await files.syncDir();
      return removed;
    },
    async lock() {
      const held = await lockDir(clean);
      try {
        const stale = await files.removeStaleTemps();
        if (stale.length > 0) {
          log.info("removed temp files of interrupted writes", {
            count: stale.length,
          });
        }
      } catch (err) {
        held.release();
        throw err;
      }
      return held;
    },
  };
  return store;
}

function corrupt(
  name: string,
  current: string,
  now: Loaded,
  prevPath: string,
  prev: Loaded,
): EdgeError {
  const say = (path: string, l: Loaded) =>
    l.kind === "missing"
      ? `"${path}" is missing`
      : `"${path}" is corrupt (${l.kind === "bad" ? l.reason : "?"})`;
  return new EdgeError(
    "STORE_CORRUPT",
    `Unit "${name}" has no good version: ${say(current, now)} and ${
      say(prevPath, prev)
    }; ` +
      `restore it from a backup or remove both files to start afresh`,
  );
}
