/**
 * A real, tiny filesystem to fill up: mount a 256 KiB tmpfs (needs root,
 * CAP_SYS_ADMIN), run the body, unmount; and fill a filesystem until
 * ENOSPC. Used by the disk-full tests.
 * @module
 */

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  }
}

/** Mount a 256 KiB tmpfs at `mnt` (an existing dir), run `body`, unmount. */
export async function withTinyTmpfs<T>(
  mnt: string,
  body: () => Promise<T>,
): Promise<T> {
  try {
    await run("mount", [
      "-t",
      "tmpfs",
      "-o",
      "size=256k,mode=0700",
      "tmpfs",
      mnt,
    ]);
  } catch (err) {
    throw new Error(
      `mounting a tmpfs needs root (CAP_SYS_ADMIN): ${(err as Error).message}`,
    );
  }
  try {
    return await body();
  } finally {
    await run("umount", [mnt]);
  }
}

/** Fill the filesystem holding `path` (a new file) until ENOSPC. */
export async function fill(path: string): Promise<void> {
  using file = await Deno.open(path, { write: true, createNew: true });
  const chunk = new Uint8Array(1024);
  try {
    for (;;) await file.write(chunk);
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOSPC") throw err;
  }
}
