/**
 * The SPIFFE Workload API: gRPC on a Unix socket, callers attested by the
 * kernel (`SO_PEERCRED` → selectors), SVIDs from the local cache.
 *
 * {@link startWorkloadApi} is what the runtime calls: it builds the entry
 * store (fed by config now, by the hub later), the X509-SVID cache on the
 * node intermediate, the JWT-SVID authority, and the server.
 *
 * @example
 * ```ts
 * const api = await startWorkloadApi({
 *   config: cfg.workloadApi, trustDomain: cfg.trustDomain,
 *   intermediates, logger, store,
 * });
 * console.log(`SPIFFE_ENDPOINT_SOCKET=${api.address}`);
 * api.entries.replace("hub", entriesFromHub);   // later, from the hub link
 * await api.close();
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import type { EdgeConfig } from "../config/mod.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import { type Random, secureRandom } from "../random.ts";
import type { Store } from "../store/mod.ts";
import {
  type IntermediateHealth,
  type IntermediateSource,
  JwtSvidAuthority,
  loadOrCreateJwtKey,
  X509SvidCache,
} from "../svid/mod.ts";
import { FileSink, sinkConfigsFromConfig } from "../sinks/mod.ts";
import { UnixAttestor } from "./attestor.ts";
import { type EntryInput, EntryStore } from "./entries.ts";
import { serveWorkloadApi, type WorkloadServer } from "./server.ts";
import { WorkloadService } from "./service.ts";

export * from "./entries.ts";
export * from "./selectors.ts";
export * from "./attestor.ts";
export * from "./peercred.ts";
export * from "./service.ts";
export * from "./server.ts";

/** The `workloadApi` config section (validated, durations in ms). */
export type WorkloadApiConfig = EdgeConfig["workloadApi"];

/** Options of {@link startWorkloadApi}. */
export interface StartWorkloadApiOptions {
  /** The `workloadApi` section. */
  config: WorkloadApiConfig;
  /** Trust domain name. */
  trustDomain: string;
  /** The node intermediate CA. */
  intermediates: IntermediateSource;
  /** Persists the node JWT key; a fresh in-memory key when absent. */
  store?: Store;
  /** @default systemClock */
  clock?: Clock;
  /** @default secureRandom */
  random?: Random;
  /** @default nullLogger */
  logger?: Logger;
  /** The `sinks` config section: SVIDs also written to files. @default [] */
  sinks?: EdgeConfig["sinks"];
  /** Called after each X509-SVID is issued (metrics). @default no-op */
  onSvidIssued?: () => void;
  /** Called when a Workload API call ends: method and gRPC status code (metrics). @default no-op */
  onCallEnd?: (method: string, code: number) => void;
}

/** A running Workload API with its parts. */
export interface WorkloadApi {
  /** `unix:///…` (print as `SPIFFE_ENDPOINT_SOCKET`). */
  readonly address: string;
  /** Registration entries; source `config` is loaded, the hub link adds `hub`. */
  readonly entries: EntryStore;
  /** The X509-SVID cache (also read by file sinks). */
  readonly x509: X509SvidCache;
  /** JWT-SVID minting/validation and the JWT bundle. */
  readonly jwt: JwtSvidAuthority;
  /** The gRPC server. */
  readonly server: WorkloadServer;
  /** File sinks. */
  readonly sinks: readonly FileSink[];
  /** Status for the admin API. */
  status(): WorkloadApiStatus;
  /** Stop the sinks, the server and the rotation loop (idempotent). */
  close(): Promise<void>;
}

/** Status for the admin/status API. */
export interface WorkloadApiStatus {
  address: string;
  /** `degraded` when the intermediate nears expiry without renewal. */
  intermediate: IntermediateHealth;
  entries: number;
  svids: number;
  connections: number;
  streams: number;
}

/** Convert config entries (durations already in ms) to entry inputs. */
export function entriesFromConfig(config: WorkloadApiConfig): EntryInput[] {
  return (config.entries ?? []).map((e) => ({
    spiffeId: e.spiffeId,
    selectors: e.selectors,
    ttlMs: e.ttl,
    hint: e.hint,
    dnsNames: e.dnsNames,
  }));
}

/** Start the Workload API (entries from config, SVID cache, server). */
export async function startWorkloadApi(
  options: StartWorkloadApiOptions,
): Promise<WorkloadApi> {
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? nullLogger).child({ part: "workloadapi" });
  const { config } = options;
  const entries = new EntryStore(options.trustDomain);
  entries.replace("config", entriesFromConfig(config));
  const x509 = new X509SvidCache({
    entries,
    intermediates: options.intermediates,
    defaultTtlMs: config.svidTtl,
    clock,
    random: options.random ?? secureRandom,
    logger,
    onIssued: options.onSvidIssued && (() => options.onSvidIssued!()),
  });
  // The first SVIDs are issued while the JWT key loads and the socket opens.
  x509.start();
  let jwt: JwtSvidAuthority;
  try {
    jwt = await JwtSvidAuthority.create({
      trustDomain: options.trustDomain,
      keys: options.store ? await loadOrCreateJwtKey(options.store) : undefined,
      ttlMs: config.jwtSvidTtl,
      clock,
    });
  } catch (err) {
    await x509.stop();
    throw err;
  }
  const kinds = () =>
    new Set(
      entries.list().flatMap((e) =>
        e.parsedSelectors.map((s) => `${s.type}:${s.key}`)
      ),
    );
  const attestor = new UnixAttestor({ wantedKinds: kinds });
  const service = new WorkloadService({ entries, x509, jwt });
  const server = await serveWorkloadApi({
    socketPath: config.socketPath,
    socketMode: config.socketMode,
    service,
    attestor,
    logger,
    onCallEnd: options.onCallEnd,
    onChange: (cb) => {
      const a = x509.watch(() => cb());
      const b = jwt.watch(() => cb());
      return () => {
        a();
        b();
      };
    },
  }).catch(async (err) => {
    await x509.stop();
    throw err;
  });
  const sinks = sinkConfigsFromConfig(options.sinks ?? []).map((c) =>
    new FileSink(c, {
      x509,
      jwt,
      clock,
      logger: logger.child({ sink: c.certFile }),
    })
  );
  sinks.forEach((s) => s.start());
  let closing: Promise<void> | undefined;
  return {
    address: server.address,
    entries,
    x509,
    jwt,
    server,
    sinks,
    status: () => ({
      address: server.address,
      intermediate: x509.health(),
      entries: entries.list().length,
      svids: x509.snapshot().svids.size,
      connections: server.connections,
      streams: server.streams,
    }),
    close() {
      return closing ??= (async () => {
        await Promise.all(sinks.map((s) => s.stop()));
        await server.close();
        await x509.stop();
      })();
    },
  };
}
