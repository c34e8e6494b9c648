/**
 * The running reference hub: state dir (locked), CA, tokens, registry, CRL,
 * audit log, authority, the HTTPS enrollment API and the admin API on a
 * Unix socket, plus the timers that renew the serving certificate and the
 * CRL. {@link startHubServer} returns a handle to stop it.
 *
 * @example
 * ```ts
 * const hub = await startHubServer(config, { logger });
 * console.log(hub.caHash, hub.enrollUrl);
 * await hub.close();
 * ```
 * @module
 */
import { warmUpTlsRandom } from "../net/tls_warmup.ts";
import { type Clock, systemClock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import { type HubConfig, parseHostPort } from "../config/mod.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import { type Random, secureRandom } from "../random.ts";
import { encodeCertificatePem, preloadChainVerifier } from "../pki/mod.ts";
import { openStore, type Store, type StoreLock } from "../store/mod.ts";
import type { MetricsRegistry } from "../metrics/mod.ts";
import type { Readiness } from "../admin/readiness.ts";
import { createAdminApp, loadOrCreateAdminCredential } from "./admin_api.ts";
import { openAuditLog } from "./audit.ts";
import type { HubMetricHooks } from "./hub_metrics.ts";
import { HubObserver } from "./hub_observer.ts";
import type { HubStatus } from "./hub_status.ts";
import { Authority } from "./authority.ts";
import { loadOrCreateCa } from "./ca.ts";
import { HubCrl } from "./crl.ts";
import { createEnrollmentApp, signingKind } from "./enrollment_api.ts";
import { type HttpsServer, startHttpsServer } from "./https_server.ts";
import { createRateLimiter } from "./rate_limit.ts";
import { StoreNodeRegistry } from "./registry.ts";
import { LiveSessions } from "./sessions.ts";
import { NodeLinks, type NodeMessageSink } from "./node_links.ts";
import { type LinkServer, startWebSocketServer } from "./websocket_server.ts";
import { startQuicServer } from "./quic_server.ts";
import { JoinTokens } from "./tokens.ts";
import {
  checkListenCovered,
  issueServingCertificate,
  servingRenewAt,
} from "./tls_cert.ts";

/** Name of the audit log in the state dir. */
export const AUDIT_FILE = "audit.log";

/** Options of {@link startHubServer}. */
export interface HubServerOptions {
  /** Listen here instead of `enroll.listen` (port 0 = ephemeral; tests). */
  enrollListen?: { hostname: string; port: number };
  /** Listen here instead of `websocket.listen` (port 0 = ephemeral; tests). */
  websocketListen?: { hostname: string; port: number };
  /**
   * Serve QUIC here instead of `quic.listen`, even when `quic.enabled` is
   * false (port 0 = ephemeral; tests).
   */
  quicListen?: { hostname: string; port: number };
  /** Deadline for a QUIC client to authenticate. @default 10000 */
  quicAuthTimeoutMs?: number;
  /** Sink of node → hub messages. @default one log line per message */
  onNodeMessage?: NodeMessageSink;
  /** Hub → node resend interval until ACK. @default 5000 */
  linkResendMs?: number;
  /** Drop a node link silent for this long. @default 30000 */
  linkKeepaliveTimeoutMs?: number;
  /** Lifetime of the serving certificate. @default 7 days */
  servingCertTtlMs?: number;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

/** A running hub. */
export interface Hub {
  readonly caHash: string;
  readonly caPem: string;
  /** `https://host:port` of the enrollment API. */
  readonly enrollUrl: string;
  readonly enrollPort: number;
  readonly adminSocket: string;
  readonly authority: Authority;
  /** Live sessions registry the hub link (issue #7) registers connections with. */
  readonly sessions: LiveSessions;
  /** Node links: routing, hub → node messages, pushed entries. */
  readonly links: NodeLinks;
  /** Port of the WebSocket listener. */
  readonly websocketPort: number;
  /** UDP port of the QUIC listener; undefined when QUIC is off. */
  readonly quicPort?: number;
  readonly store: Store;
  /** Path of the audit log. */
  readonly auditPath: string;
  /** Serial of the serving certificate in use. */
  readonly servingSerial: string;
  /** The hub's metrics (served at `/metrics` on the admin socket). */
  readonly metrics: MetricsRegistry;
  /** Readiness as `/readyz` answers it. */
  ready(): Readiness;
  /** The `/status` document (without `pid`). */
  status(): Promise<HubStatus>;
  /** Stop listening, close everything, release the state dir. */
  close(): Promise<void>;
}

/** Start the hub from a validated configuration. */
export async function startHubServer(
  config: HubConfig,
  options: HubServerOptions = {},
): Promise<Hub> {
  // the first node's handshake should not pay for seeding TLS's generator
  warmUpTlsRandom();
  const clock = options.clock ?? systemClock;
  const random = options.random ?? secureRandom;
  const log = options.logger ?? nullLogger;
  const { enroll } = config;
  checkListenCovered("enroll.listen", enroll.listen, enroll);

  const store = await openStore(config.stateDir, { logger: log, clock });
  const lock: StoreLock = await store.lock();
  const cleanups: (() => unknown)[] = [() => lock.release()];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.warn("shutdown step failed", { error: String(err) });
      }
    }
    cleanups.length = 0;
  };
  try {
    const ca = await loadOrCreateCa(store, config.ca, { clock });
    const tokens = await JoinTokens.open(store, { clock, random });
    const registry = await StoreNodeRegistry.open(store);
    cleanups.push(() => registry.close());
    const crl = await HubCrl.open(store, ca.issuer, { clock });
    await crl.refreshIfDue();
    const auditPath = `${store.dir}/${AUDIT_FILE}`;
    // Metrics hooks are bound once the parts exist (below); nothing is
    // audited before then (the authority acts only on requests).
    const bound: { hooks?: HubMetricHooks } = {};
    const audit = await openAuditLog(auditPath, {
      clock,
      logger: log,
      onWritten: (events) => bound.hooks?.onAudit(events),
    });
    cleanups.push(() => audit.close());
    const sessions = new LiveSessions();
    const authority = new Authority({
      ca,
      tokens,
      registry,
      crl,
      audit,
      sessions,
      clock,
      random,
      logger: log,
      policy: {
        trustDomain: config.trustDomain,
        nodeCertTtlMs: enroll.nodeCertTtl,
        renewGraceMs: enroll.renewGrace,
        intermediateTtlMs: enroll.intermediateTtl,
        intermediateDnsDomains: enroll.intermediateDnsDomains,
        defaultTokenTtlMs: config.tokens.defaultTtl,
      },
    });
    const credential = await loadOrCreateAdminCredential(store, random);
    const links = await NodeLinks.open({
      store,
      sessions,
      onMessage: options.onNodeMessage,
      resendMs: options.linkResendMs,
      keepaliveTimeoutMs: options.linkKeepaliveTimeoutMs,
      clock,
      logger: log,
    });
    cleanups.push(() => links.close());

    // Enrollment API over HTTPS.
    const caPem = encodeCertificatePem(ca.root);
    let serving = await issueServingCertificate(ca, {
      ...enroll,
      ttlMs: options.servingCertTtlMs,
      clock,
    });
    const observer = new HubObserver({
      clock,
      trustDomain: config.trustDomain,
      adminSocket: config.admin.socketPath,
      ca,
      authority,
      links,
      crl,
      auditPath,
      serving: () => serving.cert,
      transports: config.quic.enabled || options.quicListen
        ? ["websocket", "quic"]
        : ["websocket"],
    });
    observer.renewalDue(servingRenewAt(serving.cert));
    bound.hooks = observer.hooks;
    const metricHooks = observer.hooks;
    const app = createEnrollmentApp({
      onResult: metricHooks.onSigning,
      onRateLimited: metricHooks.onRateLimited,
      authority,
      audit,
      perSource: createRateLimiter({
        perMinute: enroll.rateLimit.perSourcePerMinute,
        clock,
      }),
      perNode: createRateLimiter({
        perMinute: enroll.rateLimit.perNodePerMinute,
        clock,
      }),
    });
    const listen = options.enrollListen ?? (() => {
      const hp = parseHostPort(enroll.listen)!;
      return { hostname: hp.host, port: hp.port };
    })();
    const https: HttpsServer = await startHttpsServer({
      ...listen,
      key: serving.keyPem,
      cert: serving.certPem,
      ca: [caPem],
      fetch: (req, env) => app.fetch(req, env),
      logger: log,
      onBodyTooLarge: (source, path, node, bearer) => {
        const kind = signingKind(path, bearer);
        if (kind) metricHooks.onSigning(kind, "too_large");
        return audit.record({
          action: path === "/node-ca.crt" ? "intermediate" : "request",
          outcome: "refused",
          node,
          source,
          status: 413,
          reason: "request body too large",
        });
      },
    });
    cleanups.push(() => https.close());
    observer.https = https;

    // Node links over WebSocket (KubeEdge CloudHub compatible).
    checkListenCovered("websocket.listen", config.websocket.listen, enroll);
    const wsListen = options.websocketListen ?? (() => {
      const hp = parseHostPort(config.websocket.listen)!;
      return { hostname: hp.host, port: hp.port };
    })();
    const wsServer: LinkServer = await startWebSocketServer({
      ...wsListen,
      key: serving.keyPem,
      cert: serving.certPem,
      ca: [caPem],
      authority,
      links: observer.countedLinks("websocket"),
      logger: log,
    });
    cleanups.push(() => wsServer.close());
    observer.listener("websocket", wsServer, wsListen.hostname);

    // Node links over QUIC (in-band node authentication).
    let quicServer: LinkServer | undefined;
    if (config.quic.enabled || options.quicListen) {
      checkListenCovered("quic.listen", config.quic.listen, enroll);
      const quicListen = options.quicListen ?? (() => {
        const hp = parseHostPort(config.quic.listen)!;
        return { hostname: hp.host, port: hp.port };
      })();
      quicServer = await startQuicServer({
        ...quicListen,
        key: serving.keyPem,
        cert: serving.certPem,
        serverNames: [...enroll.dnsNames, ...enroll.ipAddresses],
        authority,
        links: observer.countedLinks("quic"),
        authTimeoutMs: options.quicAuthTimeoutMs,
        clock,
        random,
        logger: log,
      });
      cleanups.push(() => quicServer?.close());
      observer.listener("quic", quicServer, quicListen.hostname);
    }

    // Admin API on a Unix socket.
    const adminSocket = config.admin.socketPath;
    const admin = await serveAdmin(
      adminSocket,
      createAdminApp({
        authority,
        credential,
        links,
        ops: {
          status: async () => ({ ...await observer.status() }),
          ready: () => observer.ready(),
          metrics: observer.metrics,
          refresh: metricHooks.refresh,
        },
      }).fetch,
    );
    cleanups.push(() => admin.close());

    // Timers: serving certificate renewal and CRL refresh.
    const stop = new AbortController();
    cleanups.push(() => stop.abort());
    const renewLoop = async () => {
      while (!stop.signal.aborted) {
        const due = servingRenewAt(serving.cert);
        observer.renewalDue(due);
        await clock.sleep(due - clock.now(), stop.signal);
        try {
          serving = await issueServingCertificate(ca, {
            ...enroll,
            ttlMs: options.servingCertTtlMs,
            clock,
          });
          https.setCertificate(serving.keyPem, serving.certPem);
          wsServer.setCertificate(serving.keyPem, serving.certPem);
          quicServer?.setCertificate(serving.keyPem, serving.certPem);
          observer.renewed();
          log.info("renewed the hub's TLS certificate", {
            serial: serving.cert.serialHex,
            notAfter: serving.cert.notAfter.toISOString(),
          });
        } catch (err) {
          log.error("TLS certificate renewal failed; retrying in 1m", {
            error: String(err),
          });
          observer.renewalFailed(err, clock.now() + 60_000);
          await clock.sleep(60_000, stop.signal);
        }
      }
    };
    const crlLoop = async () => {
      while (!stop.signal.aborted) {
        await clock.sleep(3_600_000, stop.signal);
        await crl.refreshIfDue().catch((err) =>
          log.error("CRL refresh failed", { error: String(err) })
        );
      }
    };
    renewLoop().catch(() => {});
    crlLoop().catch(() => {});
    // Node authentication (renewal, intermediates, links) verifies chains;
    // load the verifier now rather than on the first node's request.
    await preloadChainVerifier();

    const enrollUrl = `https://${
      listen.hostname.includes(":") ? `[${listen.hostname}]` : listen.hostname
    }:${https.port}`;
    log.info("hub ready", {
      caHash: ca.hash,
      enroll: enrollUrl,
      admin: adminSocket,
      websocket: wsServer.port,
      quic: quicServer?.port,
    });
    return {
      caHash: ca.hash,
      caPem,
      enrollUrl,
      enrollPort: https.port,
      adminSocket,
      authority,
      sessions,
      links,
      websocketPort: wsServer.port,
      quicPort: quicServer?.port,
      store,
      auditPath,
      get servingSerial() {
        return serving.cert.serialHex;
      },
      metrics: observer.metrics,
      ready: () => observer.ready(),
      status: () => observer.status(),
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Serve `fetch` on a Unix socket (0600, parent dir created 0700). */
async function serveAdmin(
  path: string,
  fetch: (req: Request) => Response | Promise<Response>,
): Promise<{ close(): Promise<void> }> {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    throw new EdgeError(
      "CONFIG_INVALID",
      `admin.socketPath: "${path}" is in use by another process`,
    );
  } catch (err) {
    if (err instanceof EdgeError) throw err;
    await Deno.remove(path).catch(() => {});
  }
  const server = Deno.serve({
    path,
    transport: "unix",
    onListen: () => {},
  }, fetch);
  await Deno.chmod(path, 0o600);
  return {
    close: async () => {
      await server.shutdown();
      await Deno.remove(path).catch(() => {});
    },
  };
}
