/**
 * The X509-SVID cache: one current SVID per registration entry, issued from
 * the node intermediate and rotated at half-life ± 10 % — also while the hub
 * is unreachable, as long as the intermediate is valid. Consumers (the
 * Workload API, file sinks) read {@link X509SvidCache.snapshot} and
 * subscribe with {@link X509SvidCache.watch}; nobody polls.
 *
 * All waiting goes through the injected clock, so tests drive rotation with
 * a fake clock in milliseconds.
 *
 * @example
 * ```ts
 * const cache = new X509SvidCache({ entries, intermediates, defaultTtlMs: 3_600_000 });
 * cache.start();
 * cache.watch((snap) => console.log(snap.version, snap.svids.size));
 * ```
 * @module
 */
import { type Clock, schedule, systemClock } from "../clock.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import { type Random, secureRandom } from "../random.ts";
import type { X509Bundle } from "../bundle/mod.ts";
import type { IntermediateSource, NodeIntermediate } from "./intermediate.ts";
import {
  type IntermediateHealth,
  intermediateHealth,
  retryDelay,
} from "./schedule.ts";
import { issueX509Svid, type X509Svid } from "./x509_svid.ts";

/** What the cache needs to know about a registration entry. */
export interface SvidRequest {
  /** Stable entry ID (the key of the cache). */
  id: string;
  /** SPIFFE ID to issue. */
  spiffeId: string;
  /** Lifetime; the cache default when absent. */
  ttlMs?: number;
  /** Extra DNS SANs. */
  dnsNames?: readonly string[];
}

/** A list of entries that can change. */
export interface SvidRequestSource {
  /** Current entries. */
  list(): readonly SvidRequest[];
  /** Call `cb` after every change; returns an unsubscribe function. */
  watch(cb: () => void): () => void;
}

/** What consumers see: every current SVID by entry ID, and the bundle. */
export interface X509SvidSnapshot {
  /** Increases on every change. */
  version: number;
  /** Entry ID → its current SVID (entries without a valid SVID are absent). */
  svids: ReadonlyMap<string, X509Svid>;
  /** Trust bundle of the current intermediate (or of the last one). */
  bundle?: X509Bundle;
  /** Health of the intermediate. */
  health: IntermediateHealth;
}

/** Options of {@link X509SvidCache}. */
export interface X509SvidCacheOptions {
  /** Registration entries to issue for. */
  entries: SvidRequestSource;
  /** The node intermediate. */
  intermediates: IntermediateSource;
  /** SVID lifetime when an entry has none. @default 3_600_000 (1 h) */
  defaultTtlMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default secureRandom */
  random?: Random;
  /** @default nullLogger */
  logger?: Logger;
  /** Issuance function (tests may count calls). @default issueX509Svid */
  issue?: typeof issueX509Svid;
  /** Called after each SVID is issued (first issue or rotation; metrics). @default no-op */
  onIssued?: (svid: X509Svid) => void;
}

function requestKey(r: SvidRequest, ttl: number): string {
  return JSON.stringify([r.spiffeId, ttl, r.dnsNames ?? []]);
}

/** The X509-SVID cache and rotation loop. */
export class X509SvidCache {
  #o:
    & Required<
      Omit<X509SvidCacheOptions, "entries" | "intermediates" | "onIssued">
    >
    & {
      entries: SvidRequestSource;
      intermediates: IntermediateSource;
      onIssued?: (svid: X509Svid) => void;
    };
  #svids = new Map<string, { svid: X509Svid; key: string }>();
  #bundle?: X509Bundle;
  #version = 0;
  #health: IntermediateHealth = "missing";
  #watchers = new Set<(s: X509SvidSnapshot) => void>();
  #failures = 0;
  #entryFailures = new Map<string, { count: number; retryAt: number }>();
  #idle = false;
  #wake?: AbortController;
  #dirty = true;
  #running?: Promise<void>;
  #stopped = false;
  #unsubscribe: (() => void)[] = [];
  #snapshot?: X509SvidSnapshot;
  #lastList?: readonly SvidRequest[];

  constructor(options: X509SvidCacheOptions) {
    this.#o = {
      entries: options.entries,
      intermediates: options.intermediates,
      defaultTtlMs: options.defaultTtlMs ?? 3_600_000,
      clock: options.clock ?? systemClock,
      random: options.random ?? secureRandom,
      logger: options.logger ?? nullLogger,
      issue: options.issue ?? issueX509Svid,
      onIssued: options.onIssued,
    };
  }

  /** Start issuing and rotating (idempotent). */
  start(): void {
    if (this.#running) return;
    const kick = () => this.#kick();
    this.#unsubscribe.push(
      this.#o.entries.watch(kick),
      this.#o.intermediates.watch(kick),
    );
    this.#running = this.#loop();
  }

  /** Stop the loop; the last snapshot stays readable. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe.forEach((u) => u());
    this.#wake?.abort();
    await this.#running;
  }

  /** Resolve after the next reconcile pass has finished (for tests and start-up). */
  async settled(): Promise<X509SvidSnapshot> {
    while ((this.#dirty || !this.#idle) && !this.#stopped) {
      await new Promise<void>((r) => schedule(r, 1));
    }
    return this.snapshot();
  }

  /** The current state. */
  snapshot(): X509SvidSnapshot {
    this.#snapshot ??= {
      version: this.#version,
      svids: new Map([...this.#svids].map(([k, v]) => [k, v.svid])),
      bundle: this.#bundle,
      health: this.#health,
    };
    return this.#snapshot;
  }

  /** Intermediate health right now (for the status API). */
  health(): IntermediateHealth {
    return this.#health;
  }

  /** Call `cb` with every new snapshot; returns an unsubscribe function. */
  watch(cb: (s: X509SvidSnapshot) => void): () => void {
    this.#watchers.add(cb);
    return () => this.#watchers.delete(cb);
  }

  #kick(): void {
    this.#dirty = true;
    this.#wake?.abort();
  }

  async #loop(): Promise<void> {
    const { clock, logger } = this.#o;
    while (!this.#stopped) {
      this.#dirty = false;
      let next: number;
      try {
        next = await this.#reconcile();
      } catch (err) {
        logger.error("SVID reconcile failed", { error: String(err) });
        next = clock.now() + retryDelay(++this.#failures);
      }
      if (this.#dirty || this.#stopped) continue;
      this.#failures = 0;
      this.#wake = new AbortController();
      this.#idle = true;
      const wait = Math.max(0, next - clock.now());
      if (wait === Infinity) {
        await new Promise<void>((r) =>
          this.#wake!.signal.addEventListener("abort", () => r(), {
            once: true,
          })
        );
      } else {
        await clock.sleep(wait, this.#wake.signal).catch(() => {});
      }
      this.#idle = false;
      this.#dirty = true;
    }
  }

  /** One pass: drop, issue, rotate; returns when to run next. */
  async #reconcile(): Promise<number> {
    const { clock, logger, defaultTtlMs } = this.#o;
    const now = clock.now();
    const inter = this.#o.intermediates.current();
    let changed = false;

    const health = intermediateHealth(
      inter && {
        notBefore: inter.cert.notBefore.getTime(),
        notAfter: inter.cert.notAfter.getTime(),
      },
      now,
      defaultTtlMs,
    );
    if (health !== this.#health) {
      if (health === "degraded" || health === "expired") {
        logger.warn("node intermediate needs renewal", {
          health,
          notAfter: inter?.cert.notAfter.toISOString(),
        });
      }
      this.#health = health;
      changed = true;
    }
    if (inter && inter.bundle !== this.#bundle) {
      this.#bundle = inter.bundle;
      changed = true;
    }

    const list = this.#o.entries.list();
    if (list !== this.#lastList) {
      // entry changes (even hint-only ones) reach consumers as a new version
      this.#lastList = list;
      changed = true;
    }
    const wanted = new Map(list.map((e) => [e.id, e]));
    for (const [id, held] of this.#svids) {
      if (!wanted.has(id) || held.svid.notAfter <= now) {
        this.#svids.delete(id);
        changed = true;
      }
    }

    let next = Infinity;
    for (const id of this.#entryFailures.keys()) {
      if (!wanted.has(id)) this.#entryFailures.delete(id);
    }
    for (const [id, req] of wanted) {
      const ttl = req.ttlMs ?? defaultTtlMs;
      const key = requestKey(req, ttl);
      const held = this.#svids.get(id);
      // an SVID already capped at this intermediate's NotAfter gains
      // nothing from rotation; it is replaced once a renewed one arrives
      const capped = held !== undefined && inter !== undefined &&
        held.svid.notAfter >= inter.cert.notAfter.getTime() - 1000;
      const due = !held || held.key !== key ||
        (now >= held.svid.rotateAt && !capped);
      const failure = this.#entryFailures.get(id);
      if (due && usable(inter, now) && !(failure && now < failure.retryAt)) {
        try {
          const svid = await this.#o.issue({
            intermediate: inter!,
            spiffeId: req.spiffeId,
            ttlMs: ttl,
            dnsNames: req.dnsNames,
            clock,
            random: this.#o.random,
          });
          this.#svids.set(id, { svid, key });
          this.#entryFailures.delete(id);
          changed = true;
          this.#o.onIssued?.(svid);
          logger.debug("X509-SVID issued", {
            spiffeId: req.spiffeId,
            serial: svid.certificates[0].serialHex,
            notAfter: new Date(svid.notAfter).toISOString(),
          });
        } catch (err) {
          const count = (failure?.count ?? 0) + 1;
          this.#entryFailures.set(id, {
            count,
            retryAt: now + retryDelay(count),
          });
          logger.error("X509-SVID issuance failed", {
            spiffeId: req.spiffeId,
            attempt: count,
            error: String(err),
          });
        }
      }
      const retry = this.#entryFailures.get(id);
      if (retry) next = Math.min(next, retry.retryAt);
      const cur = this.#svids.get(id);
      if (cur) {
        const rotates = usable(inter, now) &&
          cur.svid.notAfter < inter.cert.notAfter.getTime() - 1000;
        if (rotates) next = Math.min(next, cur.svid.rotateAt);
        next = Math.min(next, cur.svid.notAfter);
      }
    }
    if (inter) {
      const na = inter.cert.notAfter.getTime();
      const nb = inter.cert.notBefore.getTime();
      // wake when the health changes (degraded margin, expiry)
      for (
        const t of [na, na - Math.max((na - nb) * 0.25, defaultTtlMs)]
      ) if (t > now) next = Math.min(next, t);
    }
    if (changed) this.#publish();
    return next;
  }

  #publish(): void {
    this.#version++;
    this.#snapshot = undefined;
    const snap = this.snapshot();
    for (const cb of [...this.#watchers]) {
      try {
        cb(snap);
      } catch (err) {
        this.#o.logger.error("SVID watcher failed", { error: String(err) });
      }
    }
  }
}

function usable(
  inter: NodeIntermediate | undefined,
  now: number,
): inter is NodeIntermediate {
  return inter !== undefined && now < inter.cert.notAfter.getTime();
}
