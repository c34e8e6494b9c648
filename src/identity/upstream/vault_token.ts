/**
 * The Vault token of the Vault upstream: read from a file and re-read when
 * another tool (Vault Agent, an operator) replaces that file; kept alive with
 * `POST /v1/auth/token/renew-self` at 2/3 of its TTL (as Vault Agent does),
 * its TTL learned from `GET /v1/auth/token/lookup-self`.
 * @module
 */
import { type Clock, systemClock } from "../../clock.ts";
import { EdgeError, isEdgeError } from "../../errors.ts";
import { type Logger, nullLogger } from "../../log/mod.ts";
import { fileChanged } from "../_watch.ts";
import type { HttpsResponse } from "../../net/https_client.ts";
import { vaultStatusError } from "./_vault_errors.ts";

/** When to renew a token with `ttlSeconds` left: at 2/3 of it (ms from now). */
export function tokenRenewDelayMs(ttlSeconds: number): number {
  return Math.max(1000, Math.floor((ttlSeconds * 1000 * 2) / 3));
}

/** Options of {@link VaultToken}. */
export interface VaultTokenOptions {
  tokenFile: string;
  /** Sends a request to Vault with the token (`path` under `/v1/`). */
  request: (
    method: "GET" | "POST",
    path: string,
    token: string,
    body?: unknown,
  ) => Promise<HttpsResponse>;
  /** "Vault at <addr>" for messages. */
  where: string;
  clock?: Clock;
  logger?: Logger;
}

/** Holds the current Vault token (never logged). */
export class VaultToken {
  #o: VaultTokenOptions;
  #clock: Clock;
  #log: Logger;
  #token: string | undefined;
  #stamp = "";
  /** Renewals done (for status and tests). */
  renewals = 0;
  /** Last known expiry of the token (ms), if it has one. */
  expiresAt: number | undefined;

  /** @param options see {@link VaultTokenOptions} */
  constructor(options: VaultTokenOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? nullLogger;
  }

  /** The token, re-read when the file was replaced or changed since last read. */
  async get(): Promise<string> {
    const path = this.#o.tokenFile;
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      throw new EdgeError(
        "UPSTREAM_UNAVAILABLE",
        `Vault token file "${path}" does not exist (yet)`,
      );
    }
    const stamp = `${info.ino}:${info.mtime?.getTime()}:${info.size}`;
    if (this.#token === undefined || stamp !== this.#stamp) {
      const text = (await Deno.readTextFile(path)).trim();
      if (text === "") {
        throw new EdgeError(
          "UPSTREAM_UNAVAILABLE",
          `Vault token file "${path}" is empty`,
        );
      }
      if (this.#token !== undefined && text !== this.#token) {
        this.#log.info("Vault token file replaced; using the new token", {
          path,
        });
      }
      this.#token = text;
      this.#stamp = stamp;
    }
    return this.#token;
  }

  /** One lookup-self: `{ttl (s), renewable}`. */
  async lookup(): Promise<{ ttl: number; renewable: boolean }> {
    const res = await this.#o.request(
      "GET",
      "auth/token/lookup-self",
      await this.get(),
    );
    if (res.status !== 200) {
      throw this.#error(res, "read on auth/token/lookup-self");
    }
    const data = JSON.parse(new TextDecoder().decode(res.body)).data ?? {};
    return { ttl: Number(data.ttl ?? 0), renewable: data.renewable === true };
  }

  /** One renew-self; returns the new lease duration (s). */
  async renew(): Promise<number> {
    const res = await this.#o.request(
      "POST",
      "auth/token/renew-self",
      await this.get(),
      {},
    );
    if (res.status !== 200) {
      throw this.#error(res, "update on auth/token/renew-self");
    }
    const auth = JSON.parse(new TextDecoder().decode(res.body)).auth ?? {};
    this.renewals++;
    return Number(auth.lease_duration ?? 0);
  }

  #error(res: HttpsResponse, path: string): EdgeError {
    return vaultStatusError(res, this.#o.where, {
      tokenFile: this.#o.tokenFile,
      path,
    });
  }

  /**
   * Keep the token alive until `signal` aborts: look up its TTL, renew at
   * 2/3 of it, start over when the token file changes. Tokens without TTL
   * (root) or not renewable are left alone until the file changes. Errors
   * are logged once per change and retried after a minute (or a file change).
   */
  async keepRenewed(signal: AbortSignal): Promise<void> {
    let lastLogged = "";
    const note = (
      level: "info" | "warn",
      msg: string,
      fields: Record<string, unknown> = {},
    ) => {
      const key = msg + JSON.stringify(fields);
      if (key !== lastLogged) this.#log[level](msg, fields);
      lastLogged = key;
    };
    while (!signal.aborted) {
      let waitMs = 60_000;
      try {
        const { ttl, renewable } = await this.lookup();
        this.expiresAt = ttl > 0 ? this.#clock.now() + ttl * 1000 : undefined;
        if (ttl === 0) {
          note("info", "Vault token has no TTL; nothing to renew");
          waitMs = 3_600_000;
        } else if (!renewable) {
          note(
            "warn",
            "Vault token is not renewable; replace the token file before it expires",
            {
              expiresAt: new Date(this.expiresAt!).toISOString(),
            },
          );
          waitMs = tokenRenewDelayMs(ttl);
        } else {
          await this.#sleepOrFileChange(tokenRenewDelayMs(ttl), signal);
          if (signal.aborted) return;
          const lease = await this.renew();
          this.expiresAt = this.#clock.now() + lease * 1000;
          note("info", "Vault token renewed", { ttlSeconds: lease });
          continue;
        }
      } catch (err) {
        if (signal.aborted) return;
        note("warn", "Vault token renewal failed", {
          error: isEdgeError(err) ? err.message : String(err),
        });
      }
      await this.#sleepOrFileChange(waitMs, signal);
    }
  }

  async #sleepOrFileChange(ms: number, signal: AbortSignal): Promise<void> {
    const ac = new AbortController();
    const abort = () => ac.abort();
    signal.addEventListener("abort", abort, { once: true });
    try {
      await Promise.race([
        this.#clock.sleep(ms, ac.signal).catch(() => {}),
        fileChanged(this.#o.tokenFile, ac.signal, this.#log).catch(() => {}),
      ]);
    } finally {
      ac.abort();
      signal.removeEventListener("abort", abort);
    }
  }
}
