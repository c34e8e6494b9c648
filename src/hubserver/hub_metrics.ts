/**
 * The reference hub's metrics (all named `edge_runtime_hub_…`, listed in
 * docs/metrics.md), on the shared {@link MetricsRegistry}: gauges and
 * collected counters read at scrape time from the hub's parts (CA, TLS
 * certificate, tokens, node registry, node links, CRL), and counters fed by
 * the hooks the parts call ({@link HubMetricHooks}). The hot paths (a node
 * link attaching) are plain integer additions on pre-resolved series.
 *
 * None of these names is used by the device runtime (whose own hub-link
 * metrics are `edge_runtime_hub_link_state`, `edge_runtime_hub_outbox_*`,
 * `edge_runtime_hub_reconnects_total`): the hub's view of its links is
 * `edge_runtime_hub_node_links…`.
 *
 * @example
 * ```ts
 * const registry = new MetricsRegistry();
 * const hooks = registerHubMetrics(registry, sources);
 * const app = createEnrollmentApp({ ..., onResult: hooks.onSigning });
 * await hooks.refresh(); // before each scrape: node counts
 * registry.render();
 * ```
 * @module
 */
import type { MetricsRegistry } from "../metrics/mod.ts";
import { VERSION } from "../version.ts";
import type { Readiness } from "../admin/readiness.ts";
import type { AuditEvent } from "./audit.ts";
import type { NodeState } from "./registry.ts";
import type { TokenView } from "./tokens.ts";

/** Transports of node links. */
export type LinkTransport = "websocket" | "quic";
/** Every node link transport. */
export const LINK_TRANSPORTS: readonly LinkTransport[] = ["websocket", "quic"];

/** What the hub signs for nodes. */
export type SigningKind = "enroll" | "renew" | "intermediate";

/**
 * The result of a signing request: `ok`, or the class of the refusal (from
 * its HTTP status; see {@link refusalClass}).
 */
export type SigningResult =
  | "ok"
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_large"
  | "rate_limited"
  | "unavailable"
  | "internal";

/** Every signing result, each pre-set to 0 so dashboards see them. */
export const SIGNING_RESULTS: readonly SigningResult[] = [
  "ok",
  "bad_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "too_large",
  "rate_limited",
  "unavailable",
  "internal",
];

const BY_STATUS: Record<number, SigningResult> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "too_large",
  429: "rate_limited",
  503: "unavailable",
};

/** The refusal class of an HTTP error status (anything else is `internal`). */
export function refusalClass(status: number): SigningResult {
  return BY_STATUS[status] ?? "internal";
}

/** The rate-limited endpoints and which limit refused. */
export type RateLimitedEndpoint = "/edge.crt" | "/node-ca.crt";
/** Which bucket refused: per source address or per node name. */
export type RateLimitKind = "source" | "node";

/** Node link statistics ({@link NodeLinks.stats}); newer fields optional. */
export interface LinkStatsSource {
  received: number;
  duplicates: number;
  pendingToNodes: number;
  /** Hub → node messages queued since start (each once, however often resent). */
  sent?: number;
  /** Resends of unacknowledged hub → node messages since start. */
  resent?: number;
}

/** CRL facts for the gauges. */
export interface CrlSource {
  number: number;
  /** ms since the epoch. */
  nextUpdate: number;
  revokedSerials: number;
}

/** Where the scrape-time values are read from. */
export interface HubMetricSources {
  /** NotAfter of the hub CA (the issuing CA; for two tiers the earlier of both). */
  caNotAfter: () => Date;
  /** The serving (TLS) certificate's NotAfter and when it is renewed (ms). */
  tls: () => { notAfter: Date; nextRenewal: number };
  /** Join tokens (authority.listTokens). */
  tokens: () => readonly Pick<TokenView, "status">[];
  /** Node records (authority.listNodes); read by {@link HubMetricHooks.refresh}. */
  nodes: () => Promise<readonly { state: NodeState }[]>;
  /** Nodes with a live link (NodeLinks.connectedNodes). */
  connectedNodes: () => readonly string[];
  /** Node link statistics (NodeLinks.stats). */
  links: () => LinkStatsSource;
  /** Transports served (websocket always; quic when enabled). */
  transports: readonly LinkTransport[];
  /** The CRL. */
  crl?: () => CrlSource;
  /** Readiness (for `edge_runtime_hub_ready`). */
  ready?: () => Readiness;
}

/** Counts by node state. */
export type NodeCounts = Record<NodeState, number>;

/** Live node links per transport, and connects/disconnects since start. */
export interface LinkCounts {
  connected: Partial<Record<LinkTransport, number>>;
  connects: Partial<Record<LinkTransport, number>>;
  disconnects: Partial<Record<LinkTransport, number>>;
}

/** Counters the `/status` JSON shows. */
export interface HubCounters {
  enrollments: Record<string, number>;
  renewals: Record<string, number>;
  intermediates: Record<string, number>;
  rateLimited: number;
  tokens: { created: number; used: number; revoked: number };
  auditLines: number;
}

/** Callbacks the parts call, and what `/status` reads. */
export interface HubMetricHooks {
  /** A signing request (`/edge.crt`, `/node-ca.crt`) ended with `result`. */
  onSigning(kind: SigningKind, result: SigningResult): void;
  /** A request was refused by a rate limit (also counted by onSigning). */
  onRateLimited(endpoint: RateLimitedEndpoint, limit: RateLimitKind): void;
  /** Audit lines were written (the audit log's `onWritten`). */
  onAudit(events: readonly AuditEvent[]): void;
  /** A node link over `transport` was attached for `node`. */
  onLinkAttached(transport: LinkTransport, node: string): void;
  /** A renewal of the hub's TLS certificate ended. */
  onTlsRenewal(result: "ok" | "failed"): void;
  /** Read the asynchronous sources (node counts); call before a scrape. */
  refresh(): Promise<void>;
  /** Node counts by state as of the last {@link refresh}. */
  nodes(): NodeCounts;
  /** Node links by transport. */
  links(): LinkCounts;
  /** Counter values. */
  counters(): HubCounters;
}

const NODE_STATES: readonly NodeState[] = ["active", "locked", "revoked"];
const TOKEN_STATUSES: readonly TokenView["status"][] = [
  "active",
  "used",
  "revoked",
  "expired",
];
const NODE_OPERATIONS = {
  "node.lock": "lock",
  "node.unlock": "unlock",
  "node.revoke": "revoke",
} as const;

const seconds = (d: Date) => d.getTime() / 1000;

/** Declare the hub's metrics on `registry` and return the hooks that feed them. */
export function registerHubMetrics(
  registry: MetricsRegistry,
  sources: HubMetricSources,
): HubMetricHooks {
  const transports = sources.transports;
  let nodeCounts: NodeCounts = { active: 0, locked: 0, revoked: 0 };
  /** Transport of each node's latest link (one live link per node). */
  const transportOf = new Map<string, LinkTransport>();
  const connects: Record<LinkTransport, number> = { websocket: 0, quic: 0 };

  registry.gauge({
    name: "edge_runtime_hub_build_info",
    help: "Always 1; the version label says which edge-runtime hub runs.",
    labelNames: ["version"],
    collect: () => [{ labels: { version: VERSION }, value: 1 }],
  });
  if (sources.ready) {
    const ready = sources.ready;
    registry.gauge({
      name: "edge_runtime_hub_ready",
      help: "1 when /readyz answers 200, 0 when it answers 503.",
      collect: () => ready().ready ? 1 : 0,
    });
  }
  registry.gauge({
    name: "edge_runtime_hub_ca_not_after_seconds",
    help:
      "NotAfter of the hub CA that signs node certificates, in unix seconds.",
    collect: () => seconds(sources.caNotAfter()),
  });
  registry.gauge({
    name: "edge_runtime_hub_tls_cert_not_after_seconds",
    help:
      "NotAfter of the hub's own TLS (serving) certificate, in unix seconds.",
    collect: () => seconds(sources.tls().notAfter),
  });
  registry.gauge({
    name: "edge_runtime_hub_tls_cert_next_renewal_seconds",
    help:
      "When the hub's TLS certificate is renewed next (or the failed renewal retried), in unix seconds.",
    collect: () => sources.tls().nextRenewal / 1000,
  });
  const tlsRenewals = registry.counter({
    name: "edge_runtime_hub_tls_cert_renewals_total",
    help: "Renewals of the hub's TLS certificate by result (ok, failed).",
    labelNames: ["result"],
  });
  const tlsOk = tlsRenewals.child({ result: "ok" });
  const tlsFailed = tlsRenewals.child({ result: "failed" });

  const signingCounter = (name: string, help: string) => {
    const c = registry.counter({ name, help, labelNames: ["result"] });
    const by = {} as Record<SigningResult, { inc(): void; value(): number }>;
    for (const result of SIGNING_RESULTS) by[result] = c.child({ result });
    return by;
  };
  const signing: Record<SigningKind, ReturnType<typeof signingCounter>> = {
    enroll: signingCounter(
      "edge_runtime_hub_enrollments_total",
      "First enrollments with a join token (/edge.crt with a bearer token) by result: ok or the refusal class.",
    ),
    renew: signingCounter(
      "edge_runtime_hub_renewals_total",
      "Node certificate renewals (/edge.crt with a client certificate) by result: ok or the refusal class.",
    ),
    intermediate: signingCounter(
      "edge_runtime_hub_intermediates_total",
      "Node intermediate CAs (/node-ca.crt) by result: ok (issued) or the refusal class.",
    ),
  };
  const rateLimited = registry.counter({
    name: "edge_runtime_hub_rate_limited_total",
    help:
      "Signing requests refused by a rate limit, by endpoint and limit (source address or node).",
    labelNames: ["endpoint", "limit"],
  });
  for (const endpoint of ["/edge.crt", "/node-ca.crt"]) {
    for (const limit of ["source", "node"]) {
      rateLimited.child({ endpoint, limit });
    }
  }

  const tokensCreated = registry.counter({
    name: "edge_runtime_hub_tokens_created_total",
    help: "Join tokens created.",
  }).child();
  const tokensUsed = registry.counter({
    name: "edge_runtime_hub_tokens_used_total",
    help: "Join tokens used by a successful enrollment.",
  }).child();
  const tokensRevoked = registry.counter({
    name: "edge_runtime_hub_tokens_revoked_total",
    help:
      "Join tokens revoked one by one (token revoke; a node revoke's tokens are not counted here).",
  }).child();
  registry.gauge({
    name: "edge_runtime_hub_tokens",
    help: "Join tokens by status (active, used, revoked, expired).",
    labelNames: ["status"],
    collect: () => {
      const n: Record<string, number> = {};
      for (const s of TOKEN_STATUSES) n[s] = 0;
      for (const t of sources.tokens()) n[t.status] = (n[t.status] ?? 0) + 1;
      return TOKEN_STATUSES.map((status) => ({
        labels: { status },
        value: n[status],
      }));
    },
  });
  registry.gauge({
    name: "edge_runtime_hub_nodes",
    help: "Registered nodes by state (active, locked, revoked).",
    labelNames: ["state"],
    collect: () =>
      NODE_STATES.map((state) => ({
        labels: { state },
        value: nodeCounts[state],
      })),
  });
  const nodeOps = registry.counter({
    name: "edge_runtime_hub_node_operations_total",
    help: "Node lock, unlock and revoke operations by result (ok, refused).",
    labelNames: ["operation", "result"],
  });
  const nodeOpChild: Record<string, { inc(): void }> = {};
  for (const [action, operation] of Object.entries(NODE_OPERATIONS)) {
    for (const result of ["ok", "refused"]) {
      nodeOpChild[`${action}|${result}`] = nodeOps.child({ operation, result });
    }
  }

  const linkCounts = (): LinkCounts => {
    const connected: Partial<Record<LinkTransport, number>> = {};
    for (const t of transports) connected[t] = 0;
    for (const node of sources.connectedNodes()) {
      const t = transportOf.get(node);
      if (t !== undefined && connected[t] !== undefined) connected[t]++;
    }
    const c: Partial<Record<LinkTransport, number>> = {};
    const d: Partial<Record<LinkTransport, number>> = {};
    for (const t of transports) {
      c[t] = connects[t];
      d[t] = Math.max(0, connects[t] - connected[t]!);
    }
    return { connected, connects: c, disconnects: d };
  };
  const perTransport =
    (pick: (l: LinkCounts) => Partial<Record<string, number>>) => () => {
      const l = pick(linkCounts());
      return transports.map((transport) => ({
        labels: { transport },
        value: l[transport] ?? 0,
      }));
    };
  registry.gauge({
    name: "edge_runtime_hub_node_links",
    help: "Node links connected now, by transport.",
    labelNames: ["transport"],
    collect: perTransport((l) => l.connected),
  });
  registry.counter({
    name: "edge_runtime_hub_node_link_connects_total",
    help: "Node links attached (authenticated) since start, by transport.",
    labelNames: ["transport"],
    collect: perTransport((l) => l.connects),
  });
  registry.counter({
    name: "edge_runtime_hub_node_link_disconnects_total",
    help:
      "Node links ended since start (closed, replaced, timed out, cut by lock or revoke), by transport.",
    labelNames: ["transport"],
    collect: perTransport((l) => l.disconnects),
  });
  registry.counter({
    name: "edge_runtime_hub_messages_received_total",
    help:
      "Messages received from nodes and handed to the sink (each msg_id once).",
    collect: () => sources.links().received,
  });
  registry.counter({
    name: "edge_runtime_hub_messages_duplicates_total",
    help:
      "Messages received from nodes again (already seen msg_id; ACKed, not delivered).",
    collect: () => sources.links().duplicates,
  });
  registry.counter({
    name: "edge_runtime_hub_messages_sent_total",
    help:
      "Messages queued for nodes (admin API messages and entry updates), each once however often resent.",
    collect: () => sources.links().sent,
  });
  registry.counter({
    name: "edge_runtime_hub_messages_resent_total",
    help: "Resends of hub-to-node messages not acknowledged in time.",
    collect: () => sources.links().resent,
  });
  registry.gauge({
    name: "edge_runtime_hub_messages_pending",
    help:
      "Hub-to-node messages waiting for the node's ACK (resent until then).",
    collect: () => sources.links().pendingToNodes,
  });
  if (sources.crl) {
    const crl = sources.crl;
    registry.gauge({
      name: "edge_runtime_hub_crl_next_update_seconds",
      help: "nextUpdate of the published CRL, in unix seconds.",
      collect: () => crl().nextUpdate / 1000,
    });
    registry.gauge({
      name: "edge_runtime_hub_crl_revoked_serials",
      help: "Unexpired certificate serials on the published CRL.",
      collect: () => crl().revokedSerials,
    });
  }
  const auditLines = registry.counter({
    name: "edge_runtime_hub_audit_lines_total",
    help: "Lines appended (durably) to the audit log since start.",
  }).child();

  const values = (by: Record<SigningResult, { value(): number }>) => {
    const out: Record<string, number> = {};
    for (const r of SIGNING_RESULTS) {
      const v = by[r].value();
      if (v > 0 || r === "ok") out[r] = v;
    }
    return out;
  };
  let rateLimitedTotal = 0;

  return {
    onSigning: (kind, result) => signing[kind][result].inc(),
    onRateLimited: (endpoint, limit) => {
      rateLimitedTotal++;
      rateLimited.inc({ endpoint, limit });
    },
    onAudit: (events) => {
      auditLines.inc(events.length);
      for (const e of events) {
        if (e.outcome === "ok") {
          if (e.action === "token.create") tokensCreated.inc();
          else if (e.action === "token.use") tokensUsed.inc();
          else if (e.action === "token.revoke") tokensRevoked.inc();
        }
        nodeOpChild[`${e.action}|${e.outcome}`]?.inc();
      }
    },
    onLinkAttached: (transport, node) => {
      connects[transport]++;
      transportOf.set(node, transport);
    },
    onTlsRenewal: (result) => (result === "ok" ? tlsOk : tlsFailed).inc(),
    refresh: async () => {
      const counts: NodeCounts = { active: 0, locked: 0, revoked: 0 };
      for (const n of await sources.nodes()) counts[n.state]++;
      nodeCounts = counts;
    },
    nodes: () => ({ ...nodeCounts }),
    links: linkCounts,
    counters: () => ({
      enrollments: values(signing.enroll),
      renewals: values(signing.renew),
      intermediates: values(signing.intermediate),
      rateLimited: rateLimitedTotal,
      tokens: {
        created: tokensCreated.value(),
        used: tokensUsed.value(),
        revoked: tokensRevoked.value(),
      },
      auditLines: auditLines.value(),
    }),
  };
}
