/**
 * File sinks (spiffe-helper's job): keep one SVID written as PEM files —
 * `svid.pem` (chain, leaf first), `svid_key.pem` (PKCS#8, 0600),
 * `bundle.pem` and optionally a JWT-SVID for an audience — each replaced
 * atomically whenever the SVID rotates, then reload the consumer. A failing
 * write or reload is logged and retried with backoff (1 s doubling to
 * 30 s); it never stops rotation, and a newer SVID supersedes the retry.
 *
 * @example
 * ```ts
 * const sink = new FileSink({ spiffeId, certFile, keyFile, bundleFile, reload: { pidFile } }, { x509: api.x509 });
 * sink.start();
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { encodeX509BundlePem } from "../bundle/mod.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import {
  encodeCertificateChainPem,
  encodePem,
  PKCS8_LABEL,
} from "../pki/mod.ts";
import { retryDelay } from "../svid/schedule.ts";
import type {
  JwtSvidAuthority,
  X509Svid,
  X509SvidCache,
  X509SvidSnapshot,
} from "../svid/mod.ts";
import { reload, type ReloadAction } from "./reload.ts";
import { writeFileAtomic } from "./write.ts";

/** One sink. */
export interface FileSinkConfig {
  /** Which SVID to write; the first one when absent. */
  spiffeId?: string;
  certFile: string;
  keyFile: string;
  bundleFile: string;
  /** Also write a JWT-SVID for this audience. */
  jwtAudience?: string;
  /** Where the JWT-SVID goes (required with `jwtAudience`). */
  jwtFile?: string;
  /** What to do after the files changed. */
  reload?: ReloadAction;
}

/** Sources of a sink. */
export interface FileSinkDeps {
  x509: Pick<X509SvidCache, "snapshot" | "watch">;
  jwt?: Pick<JwtSvidAuthority, "mint">;
  /** @default systemClock */
  clock?: Clock;
  /** @default nullLogger */
  logger?: Logger;
}

/** What a sink has done (for status and tests). */
export interface FileSinkState {
  /** Serial of the SVID on disk. */
  writtenSerial?: string;
  /** Successful write+reload rounds. */
  rounds: number;
  /** Consecutive failures. */
  failures: number;
  /** Last error message. */
  lastError?: string;
}

/** Keeps one SVID on disk. */
export class FileSink {
  #c: FileSinkConfig;
  #d: Required<Omit<FileSinkDeps, "jwt">> & Pick<FileSinkDeps, "jwt">;
  #state: FileSinkState = { rounds: 0, failures: 0 };
  #wake?: AbortController;
  #stopped = false;
  #running?: Promise<void>;
  #unwatch = () => {};
  #reloadPending = false;
  #jwtRefreshAt = -Infinity;
  #watchers = new Set<(s: FileSinkState) => void>();

  constructor(config: FileSinkConfig, deps: FileSinkDeps) {
    if (config.jwtAudience !== undefined && config.jwtFile === undefined) {
      throw new TypeError("FileSink: jwtFile is required with jwtAudience");
    }
    this.#c = config;
    this.#d = {
      x509: deps.x509,
      jwt: deps.jwt,
      clock: deps.clock ?? systemClock,
      logger: deps.logger ?? nullLogger,
    };
  }

  /** Current state. */
  state(): FileSinkState {
    return { ...this.#state };
  }

  /** Call `cb` after each attempt; returns an unsubscribe function. */
  watch(cb: (s: FileSinkState) => void): () => void {
    this.#watchers.add(cb);
    return () => this.#watchers.delete(cb);
  }

  /** Start following the SVID cache. */
  start(): void {
    if (this.#running) return;
    this.#unwatch = this.#d.x509.watch(() => this.#wake?.abort());
    this.#running = this.#loop();
  }

  /** Stop; files stay. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unwatch();
    this.#wake?.abort();
    await this.#running;
  }

  #pick(snap: X509SvidSnapshot): X509Svid | undefined {
    for (const svid of snap.svids.values()) {
      if (
        this.#c.spiffeId === undefined || svid.spiffeId === this.#c.spiffeId
      ) return svid;
    }
    return undefined;
  }

  async #loop(): Promise<void> {
    const { clock, logger } = this.#d;
    while (!this.#stopped) {
      // Armed before reading the snapshot, so a change that lands while this
      // round runs wakes the wait below instead of being lost.
      const wake = new AbortController();
      this.#wake = wake;
      const now = clock.now();
      const svid = this.#pick(this.#d.x509.snapshot());
      let next = Infinity;
      const serial = svid?.certificates[0].serialHex;
      const jwtDue = this.#c.jwtAudience !== undefined &&
        now >= this.#jwtRefreshAt;
      if (
        svid &&
        (serial !== this.#state.writtenSerial || this.#reloadPending || jwtDue)
      ) {
        try {
          if (serial !== this.#state.writtenSerial || jwtDue) {
            await this.#write(svid);
            this.#state.writtenSerial = serial;
            this.#reloadPending = true;
          }
          if (this.#c.reload) await reload(this.#c.reload);
          this.#reloadPending = false;
          this.#state.rounds++;
          this.#state.failures = 0;
          this.#state.lastError = undefined;
          logger.info("sink updated", {
            spiffeId: svid.spiffeId,
            certFile: this.#c.certFile,
            serial,
          });
        } catch (err) {
          this.#state.failures++;
          this.#state.lastError = (err as Error).message;
          next = now + retryDelay(this.#state.failures);
          logger.error("sink update failed; will retry", {
            certFile: this.#c.certFile,
            attempt: this.#state.failures,
            error: this.#state.lastError,
          });
        }
        for (const cb of [...this.#watchers]) cb(this.state());
      }
      if (this.#c.jwtAudience !== undefined) {
        next = Math.min(next, this.#jwtRefreshAt);
      }
      if (this.#stopped) break;
      if (wake.signal.aborted) continue;
      const wait = next - clock.now();
      if (wait === Infinity) {
        await new Promise<void>((r) =>
          wake.signal.addEventListener("abort", () => r(), { once: true })
        );
      } else {
        await clock.sleep(Math.max(0, wait), wake.signal).catch(() => {});
      }
    }
  }

  async #write(svid: X509Svid): Promise<void> {
    const c = this.#c;
    await writeFileAtomic(
      c.keyFile,
      encodePem(PKCS8_LABEL, svid.privateKeyDer),
      0o600,
    );
    await writeFileAtomic(
      c.certFile,
      encodeCertificateChainPem(svid.certificates),
      0o644,
    );
    const bundle = this.#d.x509.snapshot().bundle ?? svid.bundle;
    await writeFileAtomic(c.bundleFile, encodeX509BundlePem(bundle), 0o644);
    if (c.jwtAudience !== undefined && this.#d.jwt) {
      const jwt = await this.#d.jwt.mint(svid.spiffeId, [c.jwtAudience]);
      await writeFileAtomic(c.jwtFile!, jwt.token, 0o600);
      const now = this.#d.clock.now();
      this.#jwtRefreshAt = now + (jwt.expiresAt - now) / 2;
    }
  }
}

/** The `sinks` config items (validated) → sink configs. */
export function sinkConfigsFromConfig(
  items: readonly {
    spiffeId?: string;
    certFile: string;
    keyFile: string;
    bundleFile: string;
    jwtAudience?: string;
    jwtFile?: string;
    reloadCommand?: string[];
    reloadPidFile?: string;
    reloadSignal?: string;
  }[],
): FileSinkConfig[] {
  return items.map((i) => ({
    spiffeId: i.spiffeId,
    certFile: i.certFile,
    keyFile: i.keyFile,
    bundleFile: i.bundleFile,
    jwtAudience: i.jwtAudience,
    jwtFile: i.jwtFile,
    reload: i.reloadCommand || i.reloadPidFile
      ? {
        command: i.reloadCommand,
        pidFile: i.reloadPidFile,
        signal: (i.reloadSignal ?? "SIGHUP") as Deno.Signal,
      }
      : undefined,
  }));
}
