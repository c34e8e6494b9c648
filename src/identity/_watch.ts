/**
 * Wait for a file to change: `Deno.watchFs` on its parent directory (so an
 * atomic replace — write a temp file, rename over — is seen too). Internal.
 * @module
 */
import { dirname } from "node:path";
import type { Logger } from "../log/mod.ts";

/**
 * Resolves at the next event naming `path`; rejects when `signal` aborts.
 * When the directory cannot be watched it only waits for the abort (callers
 * re-read periodically anyway).
 */
export function fileChanged(
  path: string,
  signal: AbortSignal,
  log?: Logger,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let watcher: Deno.FsWatcher | undefined;
    const stop = () => {
      try {
        watcher?.close();
      } catch { /* already closed */ }
    };
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", () => {
      stop();
      reject(signal.reason);
    }, { once: true });
    try {
      watcher = Deno.watchFs(dirname(path), { recursive: false });
    } catch (err) {
      log?.debug("cannot watch the file's directory", {
        path,
        error: (err as Error).message,
      });
      return;
    }
    (async () => {
      try {
        for await (const event of watcher) {
          if (event.paths.includes(path)) {
            stop();
            resolve();
            return;
          }
        }
      } catch { /* closed */ }
    })();
  });
}
