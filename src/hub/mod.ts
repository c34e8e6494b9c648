/**
 * The runtime's hub link (client side): one transport interface
 * ({@link HubTransport}) with the KubeEdge-compatible WebSocket transport,
 * reconnect with full-jitter backoff, the durable outbox and inbox, and the
 * link manager {@link startHubLink}. See `docs/hub-link.md`.
 * @module
 */
export * from "./transport.ts";
export * from "./websocket.ts";
export * from "./quic.ts";
export * from "./quic_auth.ts";
export * from "./backoff.ts";
export * from "./outbox.ts";
export * from "./inbox.ts";
export * from "./link.ts";
