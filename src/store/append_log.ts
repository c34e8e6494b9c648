/**
 * An append-only log file of text lines (e.g. the hub's audit log), the one
 * kind of state that is appended to rather than replaced: every
 * {@link AppendLog.append} writes whole lines and fsyncs before it resolves,
 * so an acknowledged line survives a crash or power loss. Lines appended
 * while an fsync is in flight are written and fsynced together (group
 * commit), in call order.
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
  /** Close the file. Idempotent. */
  close(): void;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

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
  // Group commit: lines appended while a write+fsync is in flight are
  // written together by the next one; each append resolves after the fsync
  // that covers its line.
  let pending: {
    bytes: Uint8Array;
    /** The last of its lines, and how many there are. */
    line: string;
    count: number;
    done: PromiseWithResolvers<void>;
  }[] = [];
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
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      const total = batch.reduce((n, b) => n + b.bytes.length, 0);
      const bytes = new Uint8Array(total);
      let off = 0;
      for (const b of batch) {
        bytes.set(b.bytes, off);
        off += b.bytes.length;
      }
      try {
        if (closed) throw new Error("the log is closed");
        await write(bytes);
      } catch (cause) {
        // Never leave a partial line for the next append to follow.
        if (!closed) {
          await file.truncate(size).catch(() => {});
          await file.seek(size, Deno.SeekMode.Start).catch(() => {});
        }
        const err = new EdgeError(
          "STORE_WRITE_FAILED",
          `Cannot append to "${path}": ${(cause as Error).message}`,
          { cause },
        );
        for (const b of batch) b.done.reject(err);
        continue;
      }
      size += total;
      lastLine = batch[batch.length - 1].line;
      lineCount += batch.reduce((n, b) => n + b.count, 0);
      for (const b of batch) b.done.resolve();
    }
    writing = false;
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
      return self.appendLines([line]);
    },
    appendLines(lines: readonly string[]): Promise<void> {
      if (lines.some((line) => line.includes("\n"))) {
        throw new TypeError("append log: a line must not contain a newline");
      }
      if (lines.length === 0) return Promise.resolve();
      const done = Promise.withResolvers<void>();
      pending.push({
        bytes: enc.encode(lines.join("\n") + "\n"),
        line: lines[lines.length - 1],
        count: lines.length,
        done,
      });
      if (!writing) flush();
      return done.promise;
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
