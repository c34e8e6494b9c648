/**
 * A durable, bounded set of recently seen IDs (message de-duplication across
 * reconnects and restarts), on top of {@link openAppendLog}: one ID per
 * line, group-committed. The newest `capacity` IDs are remembered; older
 * ones are forgotten (oldest first) and the file is rewritten atomically
 * when it holds twice that many lines.
 *
 * @example
 * ```ts
 * const seen = await openSeenLog(`${store.dir}/inbox.seen`);
 * if (!seen.has(msg.header.msg_id)) { handle(msg); await seen.add(msg.header.msg_id); }
 * ```
 * @module
 */
import { type Logger, nullLogger } from "../log/mod.ts";
import { type AppendLog, openAppendLog } from "./append_log.ts";

/** Options of {@link openSeenLog}. */
export interface SeenLogOptions {
  /** IDs remembered. @default 100000 */
  capacity?: number;
  /** @default nullLogger */
  logger?: Logger;
}

/** An open seen-ID log. */
export interface SeenLog {
  /** True when `id` was added (in memory at once, durable once `add` resolved). */
  has(id: string): boolean;
  /**
   * Remember `id` (in memory at once); resolves once it is on disk. IDs
   * added together share one promise (group commit). Throws a `TypeError`
   * for an empty ID or one with whitespace.
   */
  add(id: string): Promise<void>;
  /**
   * Remember `id` unless it is known already: true when it was new (then it
   * is written like {@link SeenLog.add}; {@link SeenLog.synced} tells when
   * it is durable), false for a known ID (nothing written). One set lookup
   * instead of `has` + `add`. Throws like `add`.
   */
  addNew(id: string): boolean;
  /**
   * Resolves once every ID added so far is on disk (rejects when the write
   * of the last group failed): a barrier, e.g. before acknowledging a
   * duplicate whose first copy was added a moment ago.
   */
  synced(): Promise<void>;
  /** Number of remembered IDs. */
  readonly size: number;
  /** Wait for pending writes and close. */
  close(): Promise<void>;
}

const WHITESPACE = /\s/;

/** Open (creating if missing) the seen-ID log at `path`. */
export async function openSeenLog(
  path: string,
  options: SeenLogOptions = {},
): Promise<SeenLog> {
  const capacity = options.capacity ?? 100_000;
  const logger = options.logger ?? nullLogger;
  let log: AppendLog = await openAppendLog(path, { logger });
  const ids = new Set<string>();
  const text = await Deno.readTextFile(path);
  for (const line of text.split("\n")) if (line) ids.add(line);
  while (ids.size > capacity) ids.delete(ids.values().next().value!);
  let lines = log.lineCount;
  let rewriting: Promise<void> | undefined;
  /** IDs added while the file is being rewritten: appended after it. */
  let held: { lines: string[]; done: PromiseWithResolvers<void> } | undefined;
  let closed = false;

  const rewrite = async () => {
    await log.synced().catch(() => {});
    const tmp = `${path}.tmp-${crypto.randomUUID()}`;
    try {
      await Deno.writeTextFile(tmp, [...ids].map((i) => i + "\n").join(""), {
        mode: 0o600,
      });
      using f = await Deno.open(tmp, { read: true, write: true });
      await f.sync();
      log.close();
      await Deno.rename(tmp, path);
      // The rename must last too: held IDs are appended to the new file.
      using d = await Deno.open(path.slice(0, path.lastIndexOf("/")) || ".");
      await d.sync().catch(() => {}); // some filesystems refuse; still atomic
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
      logger.warn("seen log: compaction failed", { error: String(err) });
    } finally {
      try {
        log = await openAppendLog(path, { logger });
      } finally {
        // From here on lines go to the file again: first the held ones.
        rewriting = undefined;
        lines = log.lineCount;
        const h = held;
        held = undefined;
        if (h) {
          lines += h.lines.length;
          try {
            log.appendLines(h.lines).then(h.done.resolve, h.done.reject);
          } catch (err) {
            h.done.reject(err);
          }
        }
      }
    }
  };

  /** The write promise the last ID joined, and the IDs that joined it. */
  let batch: Promise<void> | undefined;
  let batchIds: string[] = [];

  /** Write a just-remembered `id` (evicting the oldest beyond capacity). */
  const write = (id: string): Promise<void> => {
    if (ids.size > capacity) ids.delete(ids.values().next().value!);
    lines++;
    let p: Promise<void>;
    if (rewriting) {
      if (!held) {
        held = { lines: [], done: Promise.withResolvers<void>() };
        held.done.promise.catch(() => {});
      }
      held.lines.push(id);
      p = held.done.promise;
    } else {
      p = log.append(id);
    }
    if (p !== batch) {
      // IDs whose write failed are forgotten: seen again, they are new
      // (handled and written again) rather than known but never on disk.
      batch = p;
      const failed: string[] = batchIds = [];
      p.catch(() => {
        for (const f of failed) ids.delete(f);
      });
    }
    batchIds.push(id);
    if (!rewriting && lines > 2 * capacity) {
      rewriting = rewrite(); // clears `rewriting` itself when done
    }
    return p;
  };

  const check = (id: string) => {
    if (id === "" || WHITESPACE.test(id)) {
      throw new TypeError(`seen log: invalid id ${JSON.stringify(id)}`);
    }
  };

  const self: SeenLog = {
    has: (id) => ids.has(id),
    get size() {
      return ids.size;
    },
    add(id: string): Promise<void> {
      check(id);
      if (closed) return Promise.resolve();
      ids.delete(id);
      ids.add(id);
      return write(id);
    },
    addNew(id: string): boolean {
      check(id);
      const before = ids.size;
      ids.add(id);
      if (ids.size === before) return false;
      if (!closed) void write(id);
      return true;
    },

    synced(): Promise<void> {
      return held?.done.promise ?? log.synced();
    },
    async close() {
      if (closed) return;
      closed = true;
      while (rewriting) await rewriting;
      await log.synced().catch(() => {});
      log.close();
    },
  };
  return self;
}
