/**
 * What the running hub tells its operators: one {@link HubObserver} per hub
 * holds the metrics registry and hooks, the listeners' and TLS
 * certificate's state, and answers readiness and `/status`. The hub
 * (`hub.ts`) creates it once its parts exist, tells it about listeners as
 * they start and about each TLS certificate renewal, and hands the link
 * listeners {@link HubObserver.countedLinks}.
 *
 * @example
 * ```ts
 * const observer = new HubObserver({ ...parts, serving: () => serving.cert });
 * observer.https = https;
 * const ws = await startWebSocketServer({ ..., links: observer.countedLinks("websocket") });
 * observer.listener("websocket", ws, "127.0.0.1");
 * observer.ready(); // { ready, reasons }
 * ```
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Readiness } from "../admin/readiness.ts";
import { MetricsRegistry } from "../metrics/mod.ts";
import type { Certificate } from "../pki/mod.ts";
import type { Authority } from "./authority.ts";
import type { HubCa } from "./ca.ts";
import type { HubCrl } from "./crl.ts";
import type { HttpsServer } from "./https_server.ts";
import {
  type HubMetricHooks,
  type LinkTransport,
  registerHubMetrics,
} from "./hub_metrics.ts";
import { type HubStatus, hubStatus } from "./hub_status.ts";
import type { NodeLinks } from "./node_links.ts";
import { hubReadiness, type ListenerState } from "./readiness.ts";
import type { LinkServer } from "./websocket_server.ts";

/** The hub's parts the observer reads. */
export interface HubObserverParts {
  clock: Clock;
  trustDomain: string;
  adminSocket: string;
  ca: HubCa;
  authority: Authority;
  links: NodeLinks;
  crl: HubCrl;
  auditPath: string;
  /** The serving (TLS) certificate in use now. */
  serving: () => Certificate;
  /** Link transports served (`websocket`, and `quic` when enabled). */
  transports: readonly LinkTransport[];
}

/** Metrics, readiness and status of one running hub. */
export class HubObserver {
  /** The registry `/metrics` renders. */
  readonly metrics: MetricsRegistry = new MetricsRegistry();
  /** The hooks that feed the counters. */
  readonly hooks: HubMetricHooks;
  /** The enrollment API, once it listens. */
  https?: HttpsServer;
  readonly #p: HubObserverParts;
  readonly #startedAt: number;
  readonly #listeners: Partial<Record<LinkTransport, ListenerState>> = {};
  #nextRenewal = 0;
  #lastError?: string;

  constructor(parts: HubObserverParts) {
    this.#p = parts;
    this.#startedAt = parts.clock.now();
    const { ca, authority, links, crl } = parts;
    this.hooks = registerHubMetrics(this.metrics, {
      caNotAfter: () =>
        new Date(Math.min(
          ca.issuer.cert.notAfter.getTime(),
          ca.root.notAfter.getTime(),
        )),
      tls: () => ({
        notAfter: parts.serving().notAfter,
        nextRenewal: this.#nextRenewal,
      }),
      tokens: () => authority.listTokens(),
      nodes: () => authority.listNodes(),
      connectedNodes: () => links.connectedNodes(),
      links: () => links.stats(),
      transports: parts.transports,
      crl: () => crl.info,
      ready: () => this.ready(),
    });
  }

  /** A link listener of `transport` started on `hostname`. */
  listener(transport: LinkTransport, s: LinkServer, hostname: string): void {
    const h = hostname.includes(":") ? `[${hostname}]` : hostname;
    this.#listeners[transport] = {
      address: `${h}:${s.port}`,
      get listening() {
        return s.listening ?? true;
      },
    };
  }

  /**
   * `links` as the listener of `transport` sees it: each attach is counted
   * by transport (once per connection, nothing per message).
   */
  countedLinks(transport: LinkTransport): Pick<NodeLinks, "attach"> {
    const { links } = this.#p;
    return {
      attach: (node, conn) => {
        const session = links.attach(node, conn);
        this.hooks.onLinkAttached(transport, node);
        return session;
      },
    };
  }

  /** The TLS certificate's next renewal is due at `at` (ms). */
  renewalDue(at: number): void {
    this.#nextRenewal = at;
  }

  /** A TLS certificate renewal succeeded. */
  renewed(): void {
    this.#lastError = undefined;
    this.hooks.onTlsRenewal("ok");
  }

  /** A TLS certificate renewal failed; it is retried at `retryAt` (ms). */
  renewalFailed(err: unknown, retryAt: number): void {
    this.#lastError = err instanceof Error ? err.message : String(err);
    this.#nextRenewal = retryAt;
    this.hooks.onTlsRenewal("failed");
  }

  /** Readiness, as `/readyz` answers it. */
  ready(): Readiness {
    const { ca, clock } = this.#p;
    const serving = this.#p.serving();
    return hubReadiness({
      now: clock.now(),
      ca: {
        notBefore: ca.issuer.cert.notBefore,
        notAfter: ca.issuer.cert.notAfter,
        root: ca.intermediates.length ? ca.root : undefined,
      },
      tls: {
        notBefore: serving.notBefore,
        notAfter: serving.notAfter,
        lastError: this.#lastError,
      },
      enrollment: this.#enrollment(),
      links: Object.fromEntries(
        this.#p.transports.map((t) => [t, this.#listener(t)]),
      ),
    });
  }

  /** The `/status` document (reads the node registry first). */
  async status(): Promise<HubStatus> {
    await this.hooks.refresh();
    const p = this.#p;
    return hubStatus({
      startedAt: this.#startedAt,
      trustDomain: p.trustDomain,
      ready: this.ready(),
      ca: p.ca,
      serving: p.serving(),
      tls: { nextRenewal: this.#nextRenewal, lastError: this.#lastError },
      listeners: {
        enrollment: this.#enrollment(),
        websocket: this.#listener("websocket"),
        ...(p.transports.includes("quic")
          ? { quic: this.#listener("quic") }
          : {}),
        adminSocket: p.adminSocket,
      },
      tokens: p.authority.listTokens(),
      links: p.links.stats(),
      metrics: this.hooks,
      crl: p.crl.info,
      auditPath: p.auditPath,
    });
  }

  #enrollment(): ListenerState {
    const s = this.https;
    if (!s) return { address: "-", listening: false };
    const h = s.hostname.includes(":") ? `[${s.hostname}]` : s.hostname;
    return { address: `https://${h}:${s.port}`, listening: s.listening };
  }

  #listener(t: LinkTransport): ListenerState {
    const l = this.#listeners[t];
    return { address: l?.address ?? "-", listening: l?.listening ?? false };
  }
}
