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
  /** Remembered IDs, oldest first, each with the position of its latest add. */
  const ids = new Map<string, number>();
  /**
   * Every add, oldest first: the add at position `p` is `order[p - base]`;
   * `head` is the position of the oldest one not yet passed. An entry whose
   * ID was added again (a later position) or forgotten since is stale and
   * skipped. Evicting through this list costs O(1) per ID: the first value
   * of a Map iterator walks past every entry deleted since its table was
   * last rebuilt, which made each add at capacity cost ~30 µs at 100,000
   * IDs (and ten times that at a million).
   */
  let order: string[] = [];
  let base = 0;
  let head = 0;
  const remember = (id: string) => {
    ids.set(id, base + order.length);
    order.push(id);
  };
  /** Forget the oldest IDs beyond capacity; keep the add list compact. */
  const evict = () => {
    while (ids.size > capacity && head < base + order.length) {
      const id = order[head - base];
      if (ids.get(id) === head) ids.delete(id);
      head++;
    }
    const passed = head - base;
    if (passed > 4096 && passed * 2 > order.length) {
      order = order.slice(passed);
      base = head;
    } else if (order.length - passed > 2 * ids.size + 4096) {
      // mostly stale entries (IDs added again): rebuild from the map, whose
      // order is that of the latest adds
      let p = base + order.length; // positions from here on are unused
      order = [...ids.keys()];
      base = head = p;
      for (const id of order) ids.set(id, p++); // keeps the map's order
    }
  };
  const text = await Deno.readTextFile(path);
  // Replay the adds in order: an ID written again moves to the end.
  for (const line of text.split("\n")) {
    if (!line) continue;
    ids.delete(line);
    remember(line);
  }
  evict();
  let lines = log.lineCount;
  let rewriting: Promise<void> | undefined;
  /** IDs added while the file is being rewritten: appended after it. */
  let held: { lines: string[]; done: PromiseWithResolvers<void> } | undefined;
  let closed = false;

  const rewrite = async () => {
    await log.synced().catch(() => {});
    const tmp = `${path}.tmp-${crypto.randomUUID()}`;
    try {
      await Deno.writeTextFile(
        tmp,
        [...ids.keys()].map((i) => i + "\n").join(""),
        {
          mode: 0o600,
        },
      );
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
    evict();
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
      ids.delete(id); // an ID added again counts as new: it moves to the end
      remember(id);
      return write(id);
    },
    addNew(id: string): boolean {
      check(id);
      if (ids.has(id)) return false;
      remember(id);
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
