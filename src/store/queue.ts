/**
 * A durable FIFO queue of text items on top of {@link openAppendLog}: the
 * primitive under the hub link's outbox (`src/hub/outbox.ts`).
 *
 * **Format.** One append-only file of lines: `E <seq> <item>` when an item is
 * enqueued, `A <seq>` when it is removed (acknowledged). Items must not
 * contain a newline (JSON text never does).
 *
 * **Durability.** {@link DurableQueue.enqueue} resolves once its line is
 * fsynced; lines arriving while an fsync is in flight are written together
 * (group commit), which is what makes tens of thousands of enqueues per
 * second possible on one disk. Removals are appended the same way but
 * nobody waits for them: a removal lost in a crash only means the item is
 * delivered again, and the receiver de-duplicates.
 *
 * **Replay.** {@link openQueue} reads the file, cuts off a torn last line
 * (never acknowledged), and returns the live items in enqueue order.
 *
 * **Compaction.** When removed items outnumber live ones (and the file holds
 * more than `compactAfter` lines) the file is rewritten with only the live
 * items: temp file, fsync, rename over, fsync the directory — a crash leaves
 * the old or the new file, both complete.
 *
 * **Bound.** At most `maxItems` live items. When full, `enqueue` throws
 * `OUTBOX_FULL` at once; nothing already queued is ever dropped.
 *
 * @example
 * ```ts
 * const q = await openQueue(`${store.dir}/outbox.log`, { maxItems: 10_000 });
 * const seq = await q.enqueue('{"hello":1}'); // durable now
 * for (const { seq, item } of q.items()) send(item);
 * q.remove(seq);
 * await q.close();
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import { type AppendLog, openAppendLog } from "./append_log.ts";

/** Options of {@link openQueue}. */
export interface QueueOptions {
  /** Most live items; `enqueue` throws `OUTBOX_FULL` beyond. @default 10000 */
  maxItems?: number;
  /** Never compact a file of fewer lines than this. @default 4096 */
  compactAfter?: number;
  /** @default nullLogger */
  logger?: Logger;
}

/** One live item. */
export interface QueueItem {
  /** Position in the queue, increasing across restarts. */
  seq: number;
  /** The text enqueued. */
  item: string;
}

/** An open durable queue. */
export interface DurableQueue {
  /** Path of the file. */
  readonly path: string;
  /** Live items (enqueued, durable or in flight, not removed). */
  readonly size: number;
  /** The bound given at open. */
  readonly maxItems: number;
  /**
   * Append `item`; resolves with its sequence number once it is on disk.
   * Throws `OUTBOX_FULL` (synchronously rejected) when the queue is full,
   * `STORE_WRITE_FAILED` when the disk refuses it (then it is not queued).
   */
  enqueue(item: string): Promise<number>;
  /**
   * Append `item` and return its sequence number at once with `durable`,
   * which resolves once it is on disk. Items appended together share one
   * `durable` promise (group commit: no promise per item). Throws
   * `OUTBOX_FULL` (synchronously) when the queue is full, a `TypeError` for
   * a newline, `STORE_WRITE_FAILED` when closed; `durable` rejects with
   * `STORE_WRITE_FAILED` when the disk refuses it (then it is not queued).
   */
  push(item: string): { seq: number; durable: Promise<void> };
  /** Remove an item (idempotent). Persisted lazily; see the module doc. */
  remove(seq: number): void;
  /** Live items in enqueue order (a snapshot), optionally only after `afterSeq`. */
  items(afterSeq?: number): QueueItem[];
  /** Rewrite the file with only the live items now. */
  compact(): Promise<void>;
  /** Wait for pending writes, then close the file. Idempotent. */
  close(): Promise<void>;
}

/** Open (creating if missing) the durable queue stored in the file `path`. */
export async function openQueue(
  path: string,
  options: QueueOptions = {},
): Promise<DurableQueue> {
  const maxItems = options.maxItems ?? 10_000;
  const compactAfter = options.compactAfter ?? 4096;
  const logger = options.logger ?? nullLogger;
  if (!Number.isInteger(maxItems) || maxItems < 1) {
    throw new RangeError(`queue: maxItems must be ≥ 1, got ${maxItems}`);
  }
  const live = new Map<number, string>();
  let log: AppendLog = await openAppendLog(path, { logger });
  let nextSeq = 1;
  try {
    const text = await Deno.readTextFile(path);
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const kind = line[0];
      const sp = line.indexOf(" ", 2);
      const seq = Number(sp < 0 ? line.slice(2) : line.slice(2, sp));
      if (!Number.isSafeInteger(seq) || line[1] !== " ") {
        throw new EdgeError(
          "STORE_CORRUPT",
          `queue "${path}": unreadable line ${
            JSON.stringify(line.slice(0, 40))
          }`,
        );
      }
      if (kind === "E") live.set(seq, line.slice(sp + 1));
      else if (kind === "A") live.delete(seq);
      nextSeq = Math.max(nextSeq, seq + 1);
    }
  } catch (err) {
    log.close();
    throw err;
  }
  // Items by seq, in order: Map keeps insertion order and seqs only grow.
  /**
   * Every live item up to this seq is on disk. Writes complete in order,
   * and a failed write takes its items out of `live`, so a watermark is
   * enough (no set of durable seqs).
   */
  let durableThrough = nextSeq - 1;
  let lines = log.lineCount;
  let closed = false;
  let compacting: Promise<void> | undefined;
  /** Lines appended while the file is being rewritten: written after it. */
  let held: { lines: string[]; done: PromiseWithResolvers<void> } | undefined;
  /** The batch promise of the last line appended, and its new items (consecutive seqs; first 0: none). */
  let batch: Promise<void> | undefined;
  let batchItems = { first: 0, last: 0 };

  const append = (line: string): Promise<void> => {
    lines++;
    if (!compacting) return log.append(line);
    if (!held) {
      held = { lines: [], done: Promise.withResolvers<void>() };
      held.done.promise.catch(() => {});
    }
    held.lines.push(line);
    return held.done.promise;
  };

  /** Note `seq` (new item, or 0 for a removal) in the batch of `p`. */
  const track = (p: Promise<void>, seq: number) => {
    if (p !== batch) {
      batch = p;
      const items = batchItems = { first: 0, last: 0 };
      p.then(() => {
        if (items.last > durableThrough) durableThrough = items.last;
      }, (err) => {
        if (items.first === 0) {
          logger.warn("queue: cannot record a removal", { error: String(err) });
        }
        for (let s = items.first; s > 0 && s <= items.last; s++) {
          live.delete(s);
        }
      });
    }
    if (seq > 0) {
      if (batchItems.first === 0) batchItems.first = seq;
      batchItems.last = seq;
    }
  };

  const rewrite = async () => {
    // Lines appended before compaction began are written first; later ones
    // are held and appended to the new file.
    await log.synced().catch(() => {});
    const keep = [...live].filter(([seq]) => seq <= durableThrough);
    if (held) {
      // A removal held since compaction began is moot when its item is not
      // in the new file.
      const kept = new Set(keep.map(([seq]) => seq));
      held.lines = held.lines.filter((l) =>
        l[0] !== "A" || kept.has(Number(l.slice(2)))
      );
    }
    const body = keep.map(([seq, item]) => `E ${seq} ${item}\n`).join("");
    const dir = path.slice(0, path.lastIndexOf("/")) || ".";
    const tmp = `${path}.tmp-${crypto.randomUUID()}`;
    try {
      const f = await Deno.open(tmp, {
        write: true,
        create: true,
        truncate: true,
        mode: 0o600,
      });
      try {
        const bytes = new TextEncoder().encode(body);
        let off = 0;
        while (off < bytes.length) off += await f.write(bytes.subarray(off));
        await f.sync();
      } finally {
        f.close();
      }
      log.close();
      await Deno.rename(tmp, path);
      const d = await Deno.open(dir, { read: true });
      try {
        await d.sync();
      } catch {
        // some filesystems refuse fsync on a directory; rename is still atomic
      } finally {
        d.close();
      }
    } catch (cause) {
      await Deno.remove(tmp).catch(() => {});
      logger.warn("queue: compaction failed; keeping the old file", {
        path,
        error: String(cause),
      });
    } finally {
      try {
        log = await openAppendLog(path, { logger });
      } finally {
        // From here on lines go to the file again: first the held ones.
        compacting = undefined;
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

  const maybeCompact = () => {
    if (compacting || closed) return;
    if (lines < compactAfter || lines < live.size * 3) return;
    self.compact().catch(() => {});
  };

  const self: DurableQueue = {
    path,
    maxItems,
    get size() {
      return live.size;
    },
    enqueue(item: string): Promise<number> {
      try {
        const { seq, durable } = self.push(item);
        return durable.then(() => seq);
      } catch (err) {
        return Promise.reject(err);
      }
    },
    push(item: string): { seq: number; durable: Promise<void> } {
      if (closed) {
        throw new EdgeError("STORE_WRITE_FAILED", `queue "${path}" is closed`);
      }
      if (item.includes("\n")) {
        throw new TypeError("queue: an item must not contain a newline");
      }
      if (live.size >= maxItems) {
        throw new EdgeError(
          "OUTBOX_FULL",
          `queue is full (${maxItems} messages waiting for the hub); ` +
            "new messages are refused until the hub acknowledges some",
        );
      }
      const seq = nextSeq++;
      live.set(seq, item);
      const p = append(`E ${seq} ${item}`);
      track(p, seq);
      return { seq, durable: p };
    },
    remove(seq: number): void {
      if (!live.delete(seq)) return;
      // An item still being written has no line to cancel yet: if its line
      // lands, it is delivered again after a restart (and de-duplicated).
      if (seq > durableThrough || closed) return;
      track(append(`A ${seq}`), 0);
      maybeCompact();
    },
    items(afterSeq = 0): QueueItem[] {
      const out: QueueItem[] = [];
      for (const [seq, item] of live) {
        if (seq > afterSeq) out.push({ seq, item });
      }
      return out;
    },
    compact(): Promise<void> {
      if (compacting) return compacting;
      compacting = rewrite(); // clears `compacting` itself when done
      return compacting;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      while (compacting) await compacting.catch(() => {});
      await log.synced().catch(() => {});
      log.close();
    },
  };
  return self;
}
