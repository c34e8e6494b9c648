/**
 * The reference hub's `/status` document (what `edge-runtime hub status`
 * prints): CA and TLS certificate dates, listeners, readiness, node and
 * token counts, node links by transport, message and signing counters, CRL
 * and audit log. Aggregate facts only — no token, credential, key, node or
 * token name — since the admin socket serves it without the bearer.
 * @module
 */
import type { Readiness } from "../admin/readiness.ts";
import type { Certificate } from "../pki/mod.ts";
import { VERSION } from "../version.ts";
import type { HubCa } from "./ca.ts";
import type {
  CrlSource,
  HubCounters,
  HubMetricHooks,
  LinkCounts,
  LinkStatsSource,
  NodeCounts,
} from "./hub_metrics.ts";
import type { ListenerState } from "./readiness.ts";
import type { TokenView } from "./tokens.ts";

/** The `/status` JSON of a running hub (the admin API adds `pid`). */
export interface HubStatus {
  version: string;
  /** ISO time the hub started. */
  startedAt: string;
  trustDomain: string;
  ready: Readiness;
  ca: {
    /** KubeEdge CA hash (SHA-256 of the root's DER, hex). */
    hash: string;
    subject: string;
    notBefore: string;
    notAfter: string;
    /** 1: the hub's own CA is the root; 2: an intermediate under an offline root. */
    tiers: 1 | 2;
    /** NotAfter of the offline root (two tiers). */
    rootNotAfter?: string;
  };
  tlsCertificate: {
    serial: string;
    notBefore: string;
    notAfter: string;
    nextRenewal: string;
    /** Why the last renewal failed, while it keeps failing. */
    lastError?: string;
  };
  listeners: {
    enrollment: ListenerState;
    websocket: ListenerState;
    quic?: ListenerState;
    adminSocket: string;
  };
  nodes: NodeCounts & { total: number };
  tokens: Record<TokenView["status"], number>;
  links: LinkCounts;
  messages: {
    receivedFromNodes: number;
    duplicatesFromNodes: number;
    sentToNodes?: number;
    resentToNodes?: number;
    pendingToNodes: number;
  };
  counters: HubCounters;
  crl: { number: number; nextUpdate: string; revokedSerials: number };
  audit: { path: string; linesWritten: number };
}

/** Count join tokens by status. */
export function countTokens(
  tokens: readonly Pick<TokenView, "status">[],
): Record<TokenView["status"], number> {
  const out = { active: 0, used: 0, revoked: 0, expired: 0 };
  for (const t of tokens) out[t.status]++;
  return out;
}

/** What {@link hubStatus} reads (the running hub's parts). */
export interface HubStatusParts {
  /** ms since the epoch. */
  startedAt: number;
  trustDomain: string;
  ready: Readiness;
  ca: HubCa;
  /** The serving (TLS) certificate in use. */
  serving: Certificate;
  /** Next renewal (ms) and the last renewal error. */
  tls: { nextRenewal: number; lastError?: string };
  listeners: HubStatus["listeners"];
  tokens: readonly Pick<TokenView, "status">[];
  links: LinkStatsSource;
  /** Node counts as of its last refresh, link counts, counters. */
  metrics: Pick<HubMetricHooks, "nodes" | "links" | "counters">;
  crl: CrlSource;
  auditPath: string;
}

const iso = (ms: number | Date) => new Date(ms).toISOString();

/** Build the `/status` document. */
export function hubStatus(p: HubStatusParts): HubStatus {
  const { ca, serving, tls } = p;
  const nodes = p.metrics.nodes();
  const counters = p.metrics.counters();
  const twoTier = ca.intermediates.length > 0;
  return {
    version: VERSION,
    startedAt: iso(p.startedAt),
    trustDomain: p.trustDomain,
    ready: p.ready,
    ca: {
      hash: ca.hash,
      subject: ca.issuer.cert.subject,
      notBefore: iso(ca.issuer.cert.notBefore),
      notAfter: iso(ca.issuer.cert.notAfter),
      tiers: twoTier ? 2 : 1,
      ...(twoTier ? { rootNotAfter: iso(ca.root.notAfter) } : {}),
    },
    tlsCertificate: {
      serial: serving.serialHex,
      notBefore: iso(serving.notBefore),
      notAfter: iso(serving.notAfter),
      nextRenewal: iso(tls.nextRenewal),
      ...(tls.lastError ? { lastError: tls.lastError } : {}),
    },
    listeners: p.listeners,
    nodes: { ...nodes, total: nodes.active + nodes.locked + nodes.revoked },
    tokens: countTokens(p.tokens),
    links: p.metrics.links(),
    messages: {
      receivedFromNodes: p.links.received,
      duplicatesFromNodes: p.links.duplicates,
      sentToNodes: p.links.sent,
      resentToNodes: p.links.resent,
      pendingToNodes: p.links.pendingToNodes,
    },
    counters,
    crl: {
      number: p.crl.number,
      nextUpdate: iso(p.crl.nextUpdate),
      revokedSerials: p.crl.revokedSerials,
    },
    audit: { path: p.auditPath, linesWritten: counters.auditLines },
  };
}
