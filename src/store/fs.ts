/**
 * The filesystem as the store sees it: only the operations it needs, so tests
 * can inject faults (a full disk, a failing rename) without touching the real
 * disk. {@link denoFs} is the real implementation.
 *
 * Errors thrown by an implementation are the platform's own (`Deno.errors.*`,
 * or an `Error` whose `code` is an errno name such as `"ENOSPC"`); the store
 * turns them into {@link EdgeError}s.
 * @module
 */

/** What the store needs to know about a path. */
export interface StoreStat {
  /** True for a directory. */
  isDirectory: boolean;
  /** True for a regular file. */
  isFile: boolean;
  /** Permission bits and type (`st_mode`); `null` where unsupported. */
  mode: number | null;
  /** Owner uid; `null` where unsupported. */
  uid: number | null;
}

/** The filesystem operations the store uses. Paths are absolute or cwd-relative. */
export interface StoreFs {
  /** Create a directory (and parents when `recursive`) with `mode`. */
  mkdir(
    path: string,
    options: { recursive: boolean; mode: number },
  ): Promise<void>;
  /** Stat `path` (following symlinks); throws `Deno.errors.NotFound` when missing. */
  stat(path: string): Promise<StoreStat>;
  /** Change permission bits. */
  chmod(path: string, mode: number): Promise<void>;
  /** Names of the entries of a directory. */
  readDir(path: string): Promise<string[]>;
  /** Whole content of a file; throws `Deno.errors.NotFound` when missing. */
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Create `path` (it must not exist) with `mode`, write all of `data`, fsync
   * it and close it. On failure the partly written file may remain.
   */
  writeNewFileSynced(
    path: string,
    data: Uint8Array,
    mode: number,
  ): Promise<void>;
  /** Atomically rename `from` to `to`, replacing `to`. */
  rename(from: string, to: string): Promise<void>;
  /** Create hard link `to` pointing at `from`; `to` must not exist. */
  link(from: string, to: string): Promise<void>;
  /** Remove a file; throws `Deno.errors.NotFound` when missing. */
  remove(path: string): Promise<void>;
  /** fsync a directory so renames and links in it are durable. */
  syncDir(path: string): Promise<void>;
}

/**
 * The real filesystem through Deno APIs. Renames, links, removals, small
 * reads and writes use Deno's synchronous calls: they take microseconds on a
 * local filesystem, less than the thread-pool round trip (and event-loop
 * wake-up) of an async call. What waits for the disk or the journal (fsync,
 * creating a file) stays asynchronous.
 */
export const denoFs: StoreFs = {
  mkdir: (path, options) => Deno.mkdir(path, options),
  stat: async (path) => {
    const info = await Deno.stat(path);
    return {
      isDirectory: info.isDirectory,
      isFile: info.isFile,
      mode: info.mode,
      uid: info.uid,
    };
  },
  chmod: (path, mode) => Deno.chmod(path, mode),
  readDir: async (path) => {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
    return names;
  },
  readFile: (path) => attempt(() => Deno.readFileSync(path)),
  writeNewFileSynced: async (path, data, mode) => {
    // Async: allocating an inode can take a millisecond (journal).
    const file = await Deno.open(path, { write: true, createNew: true, mode });
    try {
      // write() may be short (e.g. just before ENOSPC): loop until done.
      let done = 0;
      while (done < data.length) done += file.writeSync(data.subarray(done));
      await file.sync();
    } finally {
      file.close();
    }
  },
  rename: (from, to) => attempt(() => Deno.renameSync(from, to)),
  link: (from, to) => attempt(() => Deno.linkSync(from, to)),
  remove: (path) => attempt(() => Deno.removeSync(path)),
  syncDir: async (path) => {
    // Linux: fsync on a read-only descriptor of the directory persists its entries.
    const dir = Deno.openSync(path, { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
  },
};

/** The result of `fn` as a promise (a throw becomes a rejection). */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
