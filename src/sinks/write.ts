/**
 * Atomic file replacement for sinks: write a temp file in the same
 * directory with the final mode, fsync it, rename it over the target and
 * fsync the directory — a reader sees the old file or the new one, never a
 * partial one, and a key file is never readable by others even briefly.
 * @module
 */

/** Atomically replace `path` with `data` at `mode`; creates the directory (0755) when missing. */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  mode: number,
): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = `${dir}/.${
    path.slice(dir.length + 1)
  }.tmp-${crypto.randomUUID()}`;
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  try {
    const f = await Deno.open(tmp, { write: true, createNew: true, mode });
    try {
      await Deno.chmod(tmp, mode); // the umask may have cleared bits
      let off = 0;
      while (off < bytes.length) off += await f.write(bytes.subarray(off));
      await f.sync();
    } finally {
      f.close();
    }
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  const d = await Deno.open(dir, { read: true });
  try {
    await d.sync();
  } catch {
    // some filesystems refuse fsync on directories
  } finally {
    d.close();
  }
}
