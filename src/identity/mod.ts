/**
 * The node identity lifecycle: join tokens, bootstrap and renewal against
 * the hub (KubeEdge protocol) or Vault, the identity unit in the store, the
 * one "identity changed" event source, and the node-identity file sink.
 * See docs/identity.md.
 * @module
 */
export * from "./token.ts";
export * from "./token_source.ts";
export * from "./renewal.ts";
export * from "./state.ts";
export * from "./status.ts";
export * from "./events.ts";
export * from "./scheduler.ts";
export * from "./sink.ts";
export * from "./from_config.ts";
export type * from "./upstream/upstream.ts";
export * from "./upstream/hub.ts";
export * from "./upstream/vault.ts";
export { tokenRenewDelayMs, VaultToken } from "./upstream/vault_token.ts";
