/**
 * The device runtime's metrics (all named `edge_runtime_…`, listed in
 * docs/metrics.md): gauges read at scrape time from the parts' status, and
 * counters fed by the hooks the parts call ({@link RuntimeMetricHooks}).
 * The hub link registers its own metrics on the same registry.
 *
 * @example
 * ```ts
 * const registry = new MetricsRegistry();
 * const hooks = registerRuntimeMetrics(registry, { identity: () => manager.status() });
 * const identity = nodeIdentityFromConfig(config, { store, logger, onRenewal: hooks.onRenewal });
 * ```
 * @module
 */
import type { IdentityPhase, IdentityStatus } from "../identity/status.ts";
import type { IntermediateHealth } from "../svid/schedule.ts";
import { VERSION } from "../version.ts";
import type { MetricsRegistry } from "./registry.ts";

/** Every identity phase, so each gets a 0/1 sample. */
export const IDENTITY_PHASES: readonly IdentityPhase[] = [
  "waiting-for-token",
  "enrolling",
  "valid",
  "renewing",
  "retrying",
  "expired",
  "needs-rebootstrap",
  "stopped",
];

/** Every intermediate health value, so each gets a 0/1 sample. */
export const INTERMEDIATE_HEALTHS: readonly IntermediateHealth[] = [
  "missing",
  "ok",
  "degraded",
  "expired",
];

/** What the Workload API reports (a structural subset of its status). */
export interface WorkloadApiMetricSource {
  intermediate: IntermediateHealth;
  entries: number;
  svids: number;
  connections: number;
  streams: number;
}

/** Where the scrape-time gauges read from. */
export interface RuntimeMetricSources {
  /** The node identity status (IdentityManager.status). */
  identity: () => IdentityStatus;
  /** The Workload API status; `undefined` while it is not serving. */
  workloadApi?: () => WorkloadApiMetricSource | undefined;
  /** NotAfter of the node intermediate CA, when there is one. */
  intermediateNotAfter?: () => Date | undefined;
  /** The hub link status; `undefined` while it is not running. */
  hubLink?: () => HubLinkMetricSource | undefined;
}

/** What the hub-link gauges read (a subset of the link's status). */
export interface HubLinkMetricSource {
  state: string;
  /** Connections established since start (reconnects = connections - 1). */
  connections: number;
  outbox: { queued: number; maxMessages: number; refusedFull: number };
}

/** Hub link states, each a 0/1 series. */
const LINK_STATES = [
  "waiting-for-identity",
  "connecting",
  "connected",
  "backoff",
  "stopped",
] as const;

/** Callbacks the parts call; each feeds a counter. */
export interface RuntimeMetricHooks {
  /** A renewal of the node certificate finished (IdentityManager `onRenewal`). */
  onRenewal(result: "ok" | "failed"): void;
  /** The X509-SVID cache issued an SVID (X509SvidCache `onIssued`). */
  onSvidIssued(): void;
  /** A Workload API call ended with gRPC status `code` (server `onCallEnd`). */
  onWorkloadCall(method: string, code: number): void;
}

/** Workload API methods, pre-set to 0 for code 0 so dashboards see them. */
const WORKLOAD_METHODS = [
  "FetchX509SVID",
  "FetchX509Bundles",
  "FetchJWTSVID",
  "FetchJWTBundles",
  "ValidateJWTSVID",
];

const seconds = (iso: string | undefined) =>
  iso === undefined ? undefined : Date.parse(iso) / 1000;

/** Declare the runtime's metrics on `registry` and return the hooks that feed the counters. */
export function registerRuntimeMetrics(
  registry: MetricsRegistry,
  sources: RuntimeMetricSources,
): RuntimeMetricHooks {
  const api = () => sources.workloadApi?.();
  registry.gauge({
    name: "edge_runtime_build_info",
    help: "Always 1; the version label says which edge-runtime runs.",
    labelNames: ["version"],
    collect: () => [{ labels: { version: VERSION }, value: 1 }],
  });
  registry.gauge({
    name: "edge_runtime_node_certificate_not_after_seconds",
    help: "NotAfter of the node certificate, in unix seconds.",
    collect: () => seconds(sources.identity().notAfter),
  });
  registry.gauge({
    name: "edge_runtime_node_certificate_next_renewal_seconds",
    help:
      "When the next renewal (or retry) of the node certificate is due, in unix seconds.",
    collect: () => seconds(sources.identity().nextRenewal),
  });
  registry.gauge({
    name: "edge_runtime_identity_phase",
    help:
      "1 for the current phase of the node identity lifecycle, 0 for the others.",
    labelNames: ["phase"],
    collect: () => {
      const now = sources.identity().phase;
      return IDENTITY_PHASES.map((phase) => ({
        labels: { phase },
        value: phase === now ? 1 : 0,
      }));
    },
  });
  registry.gauge({
    name: "edge_runtime_identity_consecutive_failures",
    help: "Failed enrollment or renewal attempts since the last success.",
    collect: () => sources.identity().failures,
  });
  registry.gauge({
    name: "edge_runtime_upstream_reachable",
    help:
      "1 when the last contact with the upstream (hub or Vault) reached it, 0 when not; absent before the first contact.",
    collect: () => {
      const r = sources.identity().upstream.reachable;
      return r === undefined ? undefined : r ? 1 : 0;
    },
  });
  const renewals = registry.counter({
    name: "edge_runtime_renewals_total",
    help: "Node certificate renewals by result (ok, failed).",
    labelNames: ["result"],
  });
  renewals.inc({ result: "ok" }, 0);
  renewals.inc({ result: "failed" }, 0);
  const issued = registry.counter({
    name: "edge_runtime_svids_issued_total",
    help:
      "X509-SVIDs issued from the node intermediate (first issue and rotations).",
  });
  issued.inc(undefined, 0);
  const calls = registry.counter({
    name: "edge_runtime_workload_api_requests_total",
    help:
      "Finished Workload API calls by method and gRPC status code (streams count when they end).",
    labelNames: ["method", "code"],
  });
  for (const method of WORKLOAD_METHODS) calls.inc({ method, code: "0" }, 0);
  registry.gauge({
    name: "edge_runtime_workload_api_connections",
    help: "Open connections to the Workload API socket.",
    collect: () => api()?.connections,
  });
  registry.gauge({
    name: "edge_runtime_workload_api_streams",
    help:
      "Open Workload API streams (FetchX509SVID, FetchX509Bundles, FetchJWTBundles).",
    collect: () => api()?.streams,
  });
  registry.gauge({
    name: "edge_runtime_workload_api_entries",
    help: "Registration entries known to the Workload API.",
    collect: () => api()?.entries,
  });
  registry.gauge({
    name: "edge_runtime_svids",
    help: "X509-SVIDs currently held (one per entry that has a valid one).",
    collect: () => api()?.svids,
  });
  registry.gauge({
    name: "edge_runtime_intermediate_health",
    help:
      "1 for the current health of the node intermediate CA (missing, ok, degraded, expired), 0 for the others.",
    labelNames: ["health"],
    collect: () => {
      const now = api()?.intermediate;
      if (now === undefined) return undefined;
      return INTERMEDIATE_HEALTHS.map((health) => ({
        labels: { health },
        value: health === now ? 1 : 0,
      }));
    },
  });
  registry.gauge({
    name: "edge_runtime_intermediate_not_after_seconds",
    help: "NotAfter of the node intermediate CA, in unix seconds.",
    collect: () => {
      const d = sources.intermediateNotAfter?.();
      return d === undefined ? undefined : d.getTime() / 1000;
    },
  });
  const link = () => sources.hubLink?.();
  registry.gauge({
    name: "edge_runtime_hub_link_state",
    help:
      "1 for the current state of the hub link (waiting-for-identity, connecting, connected, backoff, stopped), 0 for the others.",
    labelNames: ["state"],
    collect: () => {
      const now = link()?.state;
      if (now === undefined) return undefined;
      return LINK_STATES.map((state) => ({
        labels: { state },
        value: state === now ? 1 : 0,
      }));
    },
  });
  registry.gauge({
    name: "edge_runtime_hub_outbox_depth",
    help: "Messages in the durable outbox waiting for the hub's ACK.",
    collect: () => link()?.outbox.queued,
  });
  registry.gauge({
    name: "edge_runtime_hub_outbox_capacity",
    help: "Bound of the durable outbox (hub.outbox.maxMessages).",
    collect: () => link()?.outbox.maxMessages,
  });
  registry.counter({
    name: "edge_runtime_hub_outbox_refused_total",
    help: "Messages refused since start because the outbox was full.",
    collect: () => link()?.outbox.refusedFull,
  });
  registry.counter({
    name: "edge_runtime_hub_reconnects_total",
    help: "Hub link connections established since start, minus the first.",
    collect: () => {
      const l = link();
      return l === undefined ? undefined : Math.max(0, l.connections - 1);
    },
  });
  return {
    onRenewal: (result) => renewals.inc({ result }),
    onSvidIssued: () => issued.inc(),
    onWorkloadCall: (method, code) => calls.inc({ method, code: String(code) }),
  };
}
