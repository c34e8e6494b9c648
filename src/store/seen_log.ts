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
  /** Remember `id`; resolves once it is on disk. IDs must not contain whitespace. */
  add(id: string): Promise<void>;
  /** Number of remembered IDs. */
  readonly size: number;
  /** Wait for pending writes and close. */
  close(): Promise<void>;
}

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
  const inflight = new Set<Promise<void>>();
  let closed = false;

  const rewrite = async () => {
    await Promise.allSettled([...inflight]);
    const tmp = `${path}.tmp-${crypto.randomUUID()}`;
    try {
      await Deno.writeTextFile(tmp, [...ids].map((i) => i + "\n").join(""), {
        mode: 0o600,
      });
      using f = await Deno.open(tmp, { read: true, write: true });
      await f.sync();
      log.close();
      await Deno.rename(tmp, path);
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
      logger.warn("seen log: compaction failed", { error: String(err) });
    } finally {
      log = await openAppendLog(path, { logger });
      lines = log.lineCount;
    }
  };

  return {
    has: (id) => ids.has(id),
    get size() {
      return ids.size;
    },
    add(id: string): Promise<void> {
      if (/\s/.test(id) || id === "") {
        return Promise.reject(
          new TypeError(`seen log: invalid id ${JSON.stringify(id)}`),
        );
      }
      if (closed) return Promise.resolve();
      ids.delete(id);
      ids.add(id);
      if (ids.size > capacity) ids.delete(ids.values().next().value!);
      lines++;
      const run = async () => {
        if (rewriting) await rewriting;
        await log.append(id);
      };
      const p = run();
      inflight.add(p);
      p.finally(() => inflight.delete(p)).catch(() => {});
      if (!rewriting && lines > 2 * capacity) {
        rewriting = rewrite().finally(() => rewriting = undefined);
      }
      return p;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (rewriting) await rewriting;
      await Promise.allSettled([...inflight]);
      log.close();
    },
  };
}
