/**
 * The reference hub (server side): CA, join tokens, KubeEdge-compatible
 * enrollment, node intermediates, node registry with lock/unlock/revoke,
 * CRL, hash-chained audit log, admin API and rate limits.
 * See `docs/hub.md`.
 *
 * @example
 * ```ts
 * import { startHubServer } from "./mod.ts";
 * const hub = await startHubServer(config);
 * ```
 * @module
 */
export * from "./hub.ts";
export * from "./authority.ts";
export * from "./audit.ts";
export * from "./ca.ts";
export * from "./crl.ts";
export * from "./tokens.ts";
export * from "./registry.ts";
export * from "./sessions.ts";
export * from "./rate_limit.ts";
export * from "./kubeedge.ts";
export * from "./http_status.ts";
export * from "./enrollment_api.ts";
export * from "./https_server.ts";
export * from "./admin_api.ts";
export * from "./admin_client.ts";
export * from "./tls_cert.ts";
export * from "./node_links.ts";
export * from "./websocket_server.ts";
export * from "./quic_server.ts";
export * from "./hub_metrics.ts";
export * from "./hub_status.ts";
export * from "./readiness.ts";
export * from "./hub_observer.ts";
