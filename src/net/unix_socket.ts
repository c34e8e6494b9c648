/**
 * Preparing the path of a Unix socket we are about to listen on: one rule
 * for the Workload API, the message API and the admin API.
 * @module
 */
import { EdgeError } from "../errors.ts";

/**
 * Create the parent directory (0755, so other users can reach the socket),
 * remove a socket left by a crashed run (the caller holds the state-dir
 * lock), and refuse a relative path or a path that is not a socket, naming
 * the config `field`.
 */
export async function prepareSocketPath(
  path: string,
  field: string,
): Promise<void> {
  if (!path.startsWith("/")) {
    throw new EdgeError(
      "CONFIG_INVALID",
      `${field}: expected an absolute path, got ${JSON.stringify(path)}`,
    );
  }
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")) || "/", {
    recursive: true,
    mode: 0o755,
  });
  try {
    const st = await Deno.lstat(path);
    if (!st.isSocket) {
      throw new EdgeError(
        "CONFIG_INVALID",
        `${field}: ${path} exists and is not a socket`,
      );
    }
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}
