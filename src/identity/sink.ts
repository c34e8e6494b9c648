/**
 * The node-identity file sink: writes the node key, certificate chain and
 * CA bundle as PEM files for other local components (an MQTT broker, a
 * reverse proxy …) and runs an optional reload command after each change.
 * It subscribes to the "identity changed" event, so renewals reach the
 * files without a restart.
 *
 * Each file is replaced atomically (temp file in the same directory, fsync,
 * rename, fsync the directory); the key file is 0600, the others 0644. The
 * reload command is an argv list run without a shell. When the files
 * already hold the identity (a restart), nothing is written or reloaded.
 *
 * @example
 * ```ts
 * const sink = createNodeIdentitySink({ certFile, keyFile, caFile, reloadCommand: ["systemctl", "reload", "mosquitto"] });
 * const stop = events.watch(sink);
 * ```
 * @module
 */
import { dirname } from "node:path";
import { EdgeError } from "../errors.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import { identityPem, type NodeIdentity } from "./state.ts";

/** Options of {@link createNodeIdentitySink} (config `identity.sink`). */
export interface NodeIdentitySinkOptions {
  /** Chain, leaf first (PEM). */
  certFile: string;
  /** PKCS#8 private key (PEM, mode 0600). */
  keyFile: string;
  /** Trust bundle (PEM). */
  caFile: string;
  /** Command run after the files change, as argv (no shell). */
  reloadCommand?: readonly string[];
  /** Longest time the reload command may run. @default 30000 */
  reloadTimeoutMs?: number;
  /** @default nullLogger */
  logger?: Logger;
}

/** Atomically replace `path` with `text` (mode `mode`). */
export async function writeFileAtomic(
  path: string,
  text: string,
  mode: number,
): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = `${dir}/.${path.slice(dir.length + 1)}.tmp-${Deno.pid}-${
    crypto.randomUUID().slice(0, 8)
  }`;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true, mode });
    try {
      await file.write(new TextEncoder().encode(text));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.chmod(tmp, mode); // umask may have narrowed it
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw new EdgeError(
      "STORE_WRITE_FAILED",
      `node identity sink: cannot write "${path}": ${(err as Error).message}`,
      { cause: err },
    );
  }
  const d = await Deno.open(dir, { read: true });
  try {
    await d.sync().catch(() => {});
  } finally {
    d.close();
  }
}

/** True when `path` is a regular file with exactly `text` and `mode`. */
async function holds(path: string, text: string, mode: number) {
  try {
    const st = await Deno.lstat(path);
    if (!st.isFile || (st.mode! & 0o777) !== mode) return false;
    return (await Deno.readTextFile(path)) === text;
  } catch {
    return false;
  }
}

/** Run `argv` without a shell; resolves with its exit code. */
async function runReload(
  argv: readonly string[],
  timeoutMs: number,
): Promise<{ code: number; stderr: string }> {
  const signal = AbortSignal.timeout(timeoutMs);
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal,
  }).output();
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr).trim().slice(0, 500),
  };
}

/** A watcher for the "identity changed" event that writes the PEM files. */
export function createNodeIdentitySink(
  options: NodeIdentitySinkOptions,
): (id: NodeIdentity) => Promise<void> {
  const log = (options.logger ?? nullLogger).child({ sink: "node-identity" });
  let chain = Promise.resolve();
  const write = async (id: NodeIdentity) => {
    const pem = await identityPem(id);
    const files = [
      // Key first: a reader that sees the new cert finds its key already there.
      [options.keyFile, pem.keyPem, 0o600],
      [options.certFile, pem.certPem, 0o644],
      [options.caFile, pem.caPem, 0o644],
    ] as const;
    // Every start publishes the stored identity: when the files already
    // hold it, nothing is written (no fsyncs, no flash wear) or reloaded.
    const same = await Promise.all(
      files.map(([path, text, mode]) => holds(path, text, mode)),
    );
    if (same.every(Boolean)) {
      log.debug("node identity files already current", {
        certFile: options.certFile,
        serial: id.leaf.serialHex,
      });
      return;
    }
    for (const [path, text, mode] of files) {
      await writeFileAtomic(path, text, mode);
    }
    log.info("node identity files written", {
      certFile: options.certFile,
      serial: id.leaf.serialHex,
    });
    const argv = options.reloadCommand;
    if (!argv || argv.length === 0) return;
    try {
      const r = await runReload(argv, options.reloadTimeoutMs ?? 30_000);
      if (r.code === 0) log.info("reload command ran", { command: argv[0] });
      else {
        log.warn("reload command failed", {
          command: argv[0],
          exitCode: r.code,
          stderr: r.stderr,
        });
      }
    } catch (err) {
      log.warn("reload command could not run", {
        command: argv[0],
        error: (err as Error).message,
      });
    }
  };
  // Serialize: two quick renewals must not interleave their file writes.
  return (id) => (chain = chain.then(() => write(id), () => write(id)));
}
