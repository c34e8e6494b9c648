/**
 * The local admin API (hono on a Unix socket) and its client.
 * @module
 */
export * from "./server.ts";
export * from "./client.ts";
export * from "./readiness.ts";
