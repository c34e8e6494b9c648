/**
 * An append-only log file of text lines (e.g. the hub's audit log), the one
 * kind of state that is appended to rather than replaced: every
 * {@link AppendLog.append} writes whole lines and fsyncs before it resolves,
 * so an acknowledged line survives a crash or power loss. Lines appended
 * while an fsync is in flight are written and fsynced together (group
 * commit), in call order; all lines of one such group share one promise
 * (no promise per line), and groups settle in order.
 *
 * A crash mid-append can leave a torn last line (no trailing newline). It was
 * never acknowledged, so {@link openAppendLog} cuts it off (and reports it)
 * before appending again.
 *
 * @example
 * ```ts
 * const log = await openAppendLog(`${store.dir}/audit.log`);
 * await log.append('{"action":"enroll"}');
 * log.close();
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";
import { type Logger, nullLogger } from "../log/mod.ts";

/** Options of {@link openAppendLog}. */
export interface AppendLogOptions {
  /** Told about a torn last line that was cut off. @default nullLogger */
  logger?: Logger;
}

/** An open append-only log. */
export interface AppendLog extends Disposable {
  /** Path of the file. */
  readonly path: string;
  /** The last complete line (without newline), or undefined when empty. */
  readonly lastLine: string | undefined;
  /** Number of complete lines. */
  readonly lineCount: number;
  /**
   * Append one line (must not contain a newline), fsync, then resolve.
   * Appends are serialized in call order. Throws `STORE_WRITE_FAILED`.
   */
  append(line: string): Promise<void>;
  /**
   * Append several lines at once (same rules as {@link AppendLog.append}):
   * they are written by one write and covered by one fsync. No line is
   * written when one of them is invalid.
   */
  appendLines(lines: readonly string[]): Promise<void>;
  /**
   * Resolves once every line appended so far is on disk (rejects when the
   * write of the last batch failed); resolved at once when nothing is
   * pending. A barrier: it appends nothing.
   */
  synced(): Promise<void>;
  /** Close the file. Idempotent. */
  close(): void;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Lines written together by one write and one fsync. */
interface Batch {
  lines: string[];
  done: PromiseWithResolvers<void>;
}

/**
 * Open (creating with mode 0600 if missing) the append-only log at `path`,
 * cutting off a torn last line left by a crash.
 */
export async function openAppendLog(
  path: string,
  options: AppendLogOptions = {},
): Promise<AppendLog> {
  const log = options.logger ?? nullLogger;
  const file = await Deno.open(path, {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  let lastLine: string | undefined;
  let lineCount = 0;
  let size = 0;
  try {
    const data = await Deno.readFile(path);
    let end = data.length;
    if (end > 0 && data[end - 1] !== 0x0a) {
      const cut = data.lastIndexOf(0x0a) + 1;
      log.warn("append log: cut off a torn last line left by a crash", {
        path,
        bytes: end - cut,
      });
      await file.truncate(cut);
      await file.sync();
      end = cut;
    }
    const text = dec.decode(data.subarray(0, end));
    const lines = text === "" ? [] : text.slice(0, -1).split("\n");
    lineCount = lines.length;
    lastLine = lines.at(-1);
    size = end;
    await file.seek(size, Deno.SeekMode.Start);
  } catch (err) {
    file.close();
    throw err;
  }
  let closed = false;
  // Group commit: lines appended while a write+fsync is in flight join the
  // next batch; every line of a batch shares the batch's promise, which
  // resolves after the fsync that covers the batch. Batches complete in
  // order, so a batch's promise also covers every earlier line.
  let next: Batch | undefined;
  let latest: Promise<void> = Promise.resolve();
  let writing = false;

  const write = async (bytes: Uint8Array) => {
    // A small write to the page cache: synchronous is cheaper than a
    // thread-pool round trip. The fsync waits for the disk: asynchronous.
    let off = 0;
    while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    await file.sync();
  };

  const flush = async () => {
    writing = true;
    while (next !== undefined) {
      const batch: Batch = next;
      next = undefined;
      const bytes = enc.encode(batch.lines.join("\n") + "\n");
      try {
        if (closed) throw new Error("the log is closed");
        await write(bytes);
      } catch (cause) {
        // Never leave a partial line for the next append to follow.
        if (!closed) {
          await file.truncate(size).catch(() => {});
          await file.seek(size, Deno.SeekMode.Start).catch(() => {});
        }
        batch.done.reject(
          new EdgeError(
            "STORE_WRITE_FAILED",
            `Cannot append to "${path}": ${(cause as Error).message}`,
            { cause },
          ),
        );
        continue;
      }
      size += bytes.length;
      lastLine = batch.lines[batch.lines.length - 1];
      lineCount += batch.lines.length;
      batch.done.resolve();
    }
    writing = false;
  };

  /** The batch that new lines join (created on demand). */
  const open = (): Batch => {
    if (next === undefined) {
      const done = Promise.withResolvers<void>();
      // Callers may not all listen; the rejection is theirs to see.
      done.promise.catch(() => {});
      next = { lines: [], done };
      latest = done.promise;
    }
    return next;
  };

  const self: AppendLog = {
    path,
    get lastLine() {
      return lastLine;
    },
    get lineCount() {
      return lineCount;
    },
    append(line: string): Promise<void> {
      if (line.includes("\n")) {
        throw new TypeError("append log: a line must not contain a newline");
      }
      const b = open();
      b.lines.push(line);
      if (!writing) flush();
      return b.done.promise;
    },
    appendLines(lines: readonly string[]): Promise<void> {
      if (lines.some((line) => line.includes("\n"))) {
        throw new TypeError("append log: a line must not contain a newline");
      }
      if (lines.length === 0) return Promise.resolve();
      const b = open();
      for (const line of lines) b.lines.push(line);
      if (!writing) flush();
      return b.done.promise;
    },
    synced(): Promise<void> {
      return latest;
    },
    close() {
      if (closed) return;
      closed = true;
      file.close();
    },
    [Symbol.dispose]() {
      self.close();
    },
  };
  return self;
}
