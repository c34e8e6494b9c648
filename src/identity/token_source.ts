/**
 * Where the join token comes from: the config (`identity.token`) or a file
 * (`identity.tokenFile`) that may appear or be replaced later — e.g. an
 * operator drops a fresh token onto a node whose certificate expired while
 * it was offline. File changes are watched (`Deno.watchFs` on the parent
 * directory, so atomic replacement is seen) and the file is re-read on every
 * retry anyway, so a missed event only delays recovery.
 *
 * @example
 * ```ts
 * const tokens = tokenFileSource("/etc/edge-runtime/token", { wipe: true });
 * const token = await tokens.read(); // undefined while the file is missing
 * ```
 * @module
 */
import { type Logger, nullLogger } from "../log/mod.ts";
import { type JoinToken, parseJoinToken } from "./token.ts";
import { fileChanged } from "./_watch.ts";

/** A source of join tokens. */
export interface TokenSource {
  /** Where the token comes from, for messages (never the token). */
  readonly description: string;
  /** True when a new token can appear later (a file). */
  readonly canChange: boolean;
  /** The current token, `undefined` when there is none (file missing/empty). Throws `TOKEN_INVALID`. */
  read(): Promise<JoinToken | undefined>;
  /** Resolves at the next change of the token (never for a fixed token); rejects when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void>;
  /** Called after a successful enrollment with the token (wipes the file when configured). */
  consumed(): Promise<void>;
}

/** A fixed token from the configuration. */
export function staticTokenSource(text: string): TokenSource {
  return {
    description: "identity.token in the configuration",
    canChange: false,
    read: () => parseJoinToken(text),
    changed: (signal) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason), {
          once: true,
        })
      ),
    consumed: () => Promise.resolve(),
  };
}

/** Options of {@link tokenFileSource}. */
export interface TokenFileOptions {
  /** Overwrite and delete the file after a successful enrollment. @default false */
  wipe?: boolean;
  /** @default nullLogger */
  logger?: Logger;
}

/** A token read from `path` (re-read on every call). */
export function tokenFileSource(
  path: string,
  options: TokenFileOptions = {},
): TokenSource {
  const log = options.logger ?? nullLogger;
  return {
    description: `token file "${path}"`,
    canChange: true,
    async read() {
      let text: string;
      try {
        text = await Deno.readTextFile(path);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return undefined;
        throw err;
      }
      return text.trim() === "" ? undefined : await parseJoinToken(text);
    },
    changed: (signal) => fileChanged(path, signal, log),
    async consumed() {
      if (!options.wipe) return;
      try {
        const size = (await Deno.stat(path)).size;
        const file = await Deno.open(path, { write: true });
        try {
          await file.write(new Uint8Array(size));
          await file.sync();
        } finally {
          file.close();
        }
        await Deno.remove(path);
        log.info("join token file wiped after enrollment", { path });
      } catch (err) {
        log.warn("could not wipe the join token file", {
          path,
          error: (err as Error).message,
        });
      }
    },
  };
}
