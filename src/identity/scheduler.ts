/**
 * The node identity lifecycle as one loop: load the stored identity or
 * enroll (bootstrap), then renew at the jittered deadline, retry failures
 * with backoff, and recover from expiry while offline. Every new identity
 * is stored first (one unit, atomic) and then published on the one
 * "identity changed" event source. The old identity is never deleted.
 *
 * Clock, randomness and key generation are injected, so the schedule is
 * tested in milliseconds with a fake clock.
 *
 * @example
 * ```ts
 * const manager = new IdentityManager({ nodeName, trustDomain, store, upstream, events, policy, tokens });
 * await manager.start(signal);   // identity present (loaded or enrolled)
 * await manager.run(signal);     // renews until aborted
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { EdgeError, type ErrorCode, isEdgeError } from "../errors.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import { generateKeyPair } from "../pki/mod.ts";
import { type Random, secureRandom } from "../random.ts";
import type { Store } from "../store/mod.ts";
import type { IdentityEvents } from "./events.ts";
import {
  backoffDelay,
  isExpired,
  renewalDeadline,
  type RenewalPolicy,
} from "./renewal.ts";
import {
  loadIdentity,
  type NodeIdentity,
  nodeSpiffeId,
  saveIdentity,
} from "./state.ts";
import type { IdentityPhase, IdentityStatus } from "./status.ts";
import type { TokenSource } from "./token_source.ts";
import type { JoinToken } from "./token.ts";
import type { Upstream } from "./upstream/upstream.ts";

/** Options of {@link IdentityManager}. */
export interface IdentityManagerOptions {
  /** This node's name. */
  nodeName: string;
  /** Trust domain (for the SPIFFE ID shown in status). */
  trustDomain: string;
  /** Where the identity unit lives. */
  store: Store;
  /** Who signs. */
  upstream: Upstream;
  /** The "identity changed" event source to publish on. */
  events: IdentityEvents;
  /** Renewal fractions and backoff. */
  policy: RenewalPolicy;
  /** Join token source; absent when none is configured. */
  tokens?: TokenSource;
  /** @default systemClock */
  clock?: Clock;
  /** @default secureRandom */
  random?: Random;
  /** @default nullLogger */
  logger?: Logger;
  /** Key generation (P-256). @default generateKeyPair */
  generateKeys?: () => Promise<CryptoKeyPair>;
  /** Longest single sleep, so clock jumps and suspends are noticed. @default 1 h */
  maxSleepMs?: number;
  /** Called (not awaited) whenever the phase or last error changes. */
  onStatusChange?: (status: IdentityStatus) => void;
  /**
   * Called once per renewal attempt of an existing identity: `"ok"` when
   * the upstream renewed it (after it is stored), `"failed"` when the
   * attempt failed (not on shutdown). First enrollment is not a renewal.
   * @default no-op
   */
  onRenewal?: (result: "ok" | "failed") => void;
}

/** Errors that end a first enrollment: retrying the same input cannot help. */
const FATAL_ON_ENROLL: readonly ErrorCode[] = [
  "TOKEN_INVALID",
  "TOKEN_CA_HASH_MISMATCH",
  "UPSTREAM_REFUSED",
  "UPSTREAM_REJECTED",
  "IDENTITY_MISSING",
];

function errorInfo(err: unknown): { code: string; message: string } {
  return isEdgeError(err) ? { code: err.code, message: err.message } : {
    code: "INTERNAL",
    message: err instanceof Error ? err.message : String(err),
  };
}

/** Runs bootstrap and renewal for the node identity. */
export class IdentityManager {
  #o: IdentityManagerOptions;
  #clock: Clock;
  #random: Random;
  #log: Logger;
  #keys: () => Promise<CryptoKeyPair>;
  #phase: IdentityPhase = "enrolling";
  #deadline: number | undefined;
  #nextAttempt: number | undefined;
  #failures = 0;
  #lastError: IdentityStatus["lastError"];
  #lastSuccess: number | undefined;
  #reachable: boolean | undefined;
  #lastLogged = "";
  #triedTokens = new Set<string>();

  /** @param options see {@link IdentityManagerOptions} */
  constructor(options: IdentityManagerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? secureRandom;
    this.#log = options.logger ?? nullLogger;
    this.#keys = options.generateKeys ?? (() => generateKeyPair());
  }

  /** The current identity (after {@link start}). */
  current(): NodeIdentity | undefined {
    return this.#o.events.current();
  }

  /** A snapshot for the admin API and `status`. */
  status(): IdentityStatus {
    const id = this.current();
    const iso = (ms: number | undefined) =>
      ms === undefined ? undefined : new Date(ms).toISOString();
    return {
      node: this.#o.nodeName,
      spiffeId: nodeSpiffeId(id, this.#o.trustDomain, this.#o.nodeName),
      phase: this.#phase,
      serial: id?.leaf.serialHex,
      notBefore: id?.leaf.notBefore.toISOString(),
      notAfter: id?.leaf.notAfter.toISOString(),
      nextRenewal: iso(this.#nextAttempt ?? this.#deadline),
      failures: this.#failures,
      lastError: this.#lastError,
      lastSuccess: iso(this.#lastSuccess),
      upstream: {
        kind: this.#o.upstream.kind,
        endpoint: this.#o.upstream.endpoint,
        reachable: this.#reachable,
      },
    };
  }

  /**
   * Load the stored identity, or enroll until one exists. Transient failures
   * (upstream unreachable or unavailable) are retried with backoff; a bad
   * token, a CA hash mismatch or a refusal throws (the runtime stops with the
   * message). Resolves with the identity, which is also published.
   */
  async start(signal: AbortSignal): Promise<NodeIdentity> {
    const stored = await loadIdentity(this.#o.store);
    if (stored) {
      this.#log.info("node identity loaded", this.#describe(stored));
      await this.#adopt(stored, false);
      return stored;
    }
    for (;;) {
      signal.throwIfAborted();
      const token = await this.#tokenForEnroll(signal);
      try {
        this.#setPhase("enrolling");
        const id = await this.#o.upstream.enroll({
          keys: await this.#keys(),
          token,
        });
        if (token) this.#triedTokens.add(token.fingerprint);
        await this.#adopt(id, true);
        this.#log.info("node enrolled", this.#describe(id));
        if (token) await this.#o.tokens?.consumed();
        return id;
      } catch (err) {
        if (isEdgeError(err) && FATAL_ON_ENROLL.includes(err.code)) throw err;
        await this.#failed(
          err,
          "enrollment failed; retrying with backoff",
          signal,
          false,
        );
      }
    }
  }

  /** Renew at each deadline until `signal` aborts. Never throws on upstream failures. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      while (!signal.aborted) {
        const id = this.current();
        if (!id) throw new Error("IdentityManager.run called before start");
        if (this.#failures === 0) {
          this.#setPhase("valid");
          await this.#sleepUntil(this.#deadline!, signal);
          if (signal.aborted) break;
        }
        await this.#attemptRenewal(id, signal);
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
    this.#setPhase("stopped");
  }

  async #attemptRenewal(id: NodeIdentity, signal: AbortSignal): Promise<void> {
    this.#setPhase("renewing");
    try {
      const next = await this.#o.upstream.renew({
        keys: await this.#keys(),
        current: id,
      });
      await this.#adopt(next, true);
      this.#log.info("node certificate renewed", this.#describe(next));
      this.#o.onRenewal?.("ok");
      return;
    } catch (err) {
      if (signal.aborted) return;
      this.#o.onRenewal?.("failed");
      const expired = isExpired(id.leaf, this.#clock.now());
      if (expired && await this.#tryFreshToken(signal)) return;
      await this.#failed(
        err,
        expired
          ? "node certificate expired and renewal failed; retrying with backoff"
          : "renewal failed; retrying with backoff",
        signal,
        expired,
      );
    }
  }

  /** Expired: enroll again with a token from the token file that was not tried yet. */
  async #tryFreshToken(signal: AbortSignal): Promise<boolean> {
    const tokens = this.#o.tokens;
    if (!tokens || !this.#o.upstream.needsJoinToken) return false;
    let token: JoinToken | undefined;
    try {
      token = await tokens.read();
    } catch (err) {
      this.#logOnce("join token unusable", "warn", errorInfo(err));
      return false;
    }
    if (!token || this.#triedTokens.has(token.fingerprint)) return false;
    this.#triedTokens.add(token.fingerprint);
    this.#log.info("re-enrolling with a new join token", {
      from: tokens.description,
    });
    try {
      const id = await this.#o.upstream.enroll({
        keys: await this.#keys(),
        token,
      });
      await this.#adopt(id, true);
      this.#log.info("node re-enrolled", this.#describe(id));
      await tokens.consumed();
      return true;
    } catch (err) {
      if (signal.aborted) return false;
      this.#log.warn(
        "re-enrollment with the new join token failed",
        errorInfo(err),
      );
      return false;
    }
  }

  async #tokenForEnroll(signal: AbortSignal): Promise<JoinToken | undefined> {
    if (!this.#o.upstream.needsJoinToken) return undefined;
    const tokens = this.#o.tokens;
    if (!tokens) {
      throw new EdgeError(
        "IDENTITY_MISSING",
        `no node identity in state dir "${this.#o.store.dir}" and no join token: ` +
          "set identity.token or identity.tokenFile",
      );
    }
    for (;;) {
      const token = await tokens.read();
      if (token) return token;
      this.#setPhase("waiting-for-token");
      this.#logOnce("waiting for the join token", "info", {
        from: tokens.description,
      });
      await this.#wait(this.#o.policy.backoffMax, signal, true);
      signal.throwIfAborted();
    }
  }

  async #adopt(id: NodeIdentity, persist: boolean): Promise<void> {
    if (persist) await saveIdentity(this.#o.store, id);
    this.#failures = 0;
    this.#lastError = undefined;
    this.#nextAttempt = undefined;
    this.#reachable = persist ? true : this.#reachable;
    if (persist) this.#lastSuccess = this.#clock.now();
    this.#deadline = renewalDeadline(id.leaf, this.#o.policy, this.#random);
    if (persist) {
      // A certificate already due when issued (lifetime shorter than the
      // issuer's backdating) must not turn into a renewal storm.
      this.#deadline = Math.max(
        this.#deadline,
        this.#clock.now() + this.#o.policy.backoffInitial,
      );
    }
    this.#lastLogged = "";
    this.#setPhase("valid", true);
    await this.#o.events.publish(id);
  }

  async #failed(
    err: unknown,
    what: string,
    signal: AbortSignal,
    expired: boolean,
  ): Promise<void> {
    const info = errorInfo(err);
    this.#failures++;
    this.#reachable = info.code !== "UPSTREAM_UNREACHABLE";
    this.#lastError = {
      ...info,
      at: new Date(this.#clock.now()).toISOString(),
    };
    const refused = info.code === "UPSTREAM_REFUSED" ||
      info.code === "UPSTREAM_REJECTED";
    const phase: IdentityPhase = !this.current()
      ? "enrolling"
      : expired
      ? (refused ? "needs-rebootstrap" : "expired")
      : "retrying";
    const delay = backoffDelay(this.#failures, this.#o.policy, this.#random);
    this.#nextAttempt = this.#clock.now() + delay;
    this.#setPhase(phase, true);
    this.#logOnce(
      phase === "needs-rebootstrap"
        ? `${what}; needs re-bootstrap: put a new join token in ${
          this.#o.tokens?.description ?? "identity.tokenFile"
        }`
        : what,
      "warn",
      { ...info, phase, retryInMs: delay },
      `${phase}:${info.code}:${info.message}`,
    );
    await this.#wait(delay, signal, expired);
  }

  #logOnce(
    msg: string,
    level: "info" | "warn",
    fields: Record<string, unknown>,
    key = msg,
  ): void {
    if (key === this.#lastLogged) return;
    this.#lastLogged = key;
    this.#log[level](msg, fields);
  }

  #setPhase(phase: IdentityPhase, force = false): void {
    if (phase === this.#phase && !force) return;
    this.#phase = phase;
    this.#o.onStatusChange?.(this.status());
  }

  async #sleepUntil(at: number, signal: AbortSignal): Promise<void> {
    const max = this.#o.maxSleepMs ?? 3_600_000;
    while (!signal.aborted) {
      const left = at - this.#clock.now();
      if (left <= 0) return;
      await this.#wait(Math.min(left, max), signal, false);
    }
  }

  /** Sleep `ms`, or less when the token changes (if `onToken`) or `signal` aborts. */
  async #wait(
    ms: number,
    signal: AbortSignal,
    onToken: boolean,
  ): Promise<void> {
    if (signal.aborted) return;
    const ac = new AbortController();
    const abort = () => ac.abort(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    try {
      const waits = [this.#clock.sleep(ms, ac.signal)];
      if (onToken && this.#o.tokens?.canChange) {
        waits.push(this.#o.tokens.changed(ac.signal));
      }
      await Promise.race(waits.map((w) => w.catch(() => {})));
    } finally {
      ac.abort();
      signal.removeEventListener("abort", abort);
    }
  }

  #describe(id: NodeIdentity): Record<string, unknown> {
    return {
      serial: id.leaf.serialHex,
      notAfter: id.leaf.notAfter.toISOString(),
      spiffeId: nodeSpiffeId(id, this.#o.trustDomain, this.#o.nodeName),
      nextRenewal: this.#deadline === undefined
        ? undefined
        : new Date(this.#deadline).toISOString(),
      upstream: this.#o.upstream.kind,
    };
  }
}
