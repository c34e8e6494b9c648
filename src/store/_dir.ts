/**
 * The state directory's safety check: it must be a directory owned by the
 * current user and not writable by group or others (anyone who can write it
 * can replace the node's key). A missing directory is created with mode 0700.
 * @module
 */
import { EdgeError } from "../errors.ts";
import type { StoreFs } from "./fs.ts";

/** Format permission bits as `0755`. */
export function formatMode(mode: number): string {
  return "0" + (mode & 0o777).toString(8).padStart(3, "0");
}

/**
 * Create `dir` (mode 0700, parents too) when missing, then refuse it with
 * `STORE_UNSAFE_DIR` unless it is a directory owned by `uid` and not group- or
 * world-writable. `uid` null (non-POSIX) skips the owner check.
 */
export async function ensureSafeDir(
  fs: StoreFs,
  dir: string,
  uid: number | null,
): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw unsafe(dir, err);
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await fs.chmod(dir, 0o700); // exact, whatever the umask
      stat = await fs.stat(dir);
    } catch (cause) {
      throw new EdgeError(
        "STORE_UNSAFE_DIR",
        `Cannot create state dir "${dir}": ${errorText(cause)}`,
        { cause },
      );
    }
  }
  if (!stat.isDirectory) {
    throw new EdgeError(
      "STORE_UNSAFE_DIR",
      `State dir "${dir}" is not a directory: point the state dir at a directory`,
    );
  }
  if (uid !== null && stat.uid !== null && stat.uid !== uid) {
    throw new EdgeError(
      "STORE_UNSAFE_DIR",
      `State dir "${dir}" is owned by uid ${stat.uid}, expected uid ${uid} (this process): ` +
        `run "chown ${uid} ${dir}" or run as its owner`,
    );
  }
  if (stat.mode !== null && (stat.mode & 0o022) !== 0) {
    throw new EdgeError(
      "STORE_UNSAFE_DIR",
      `State dir "${dir}" has mode ${
        formatMode(stat.mode)
      }, which lets group or others ` +
        `write to it: run "chmod 700 ${dir}"`,
    );
  }
}

function unsafe(dir: string, cause: unknown): EdgeError {
  return new EdgeError(
    "STORE_UNSAFE_DIR",
    `Cannot inspect state dir "${dir}": ${errorText(cause)}`,
    { cause },
  );
}

/** The message of an unknown error. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
