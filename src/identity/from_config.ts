/**
 * Build the node identity lifecycle from the edge configuration: the
 * upstream (hub or Vault), the join token source, the event source, the
 * optional node-identity file sink, and the manager. The runtime only wires
 * this together with the other parts.
 * @module
 */
import type { EdgeConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Store } from "../store/mod.ts";
import type { Clock } from "../clock.ts";
import { IdentityEvents } from "./events.ts";
import { IdentityManager } from "./scheduler.ts";
import { createNodeIdentitySink } from "./sink.ts";
import type { IdentityStatus } from "./status.ts";
import {
  staticTokenSource,
  tokenFileSource,
  type TokenSource,
} from "./token_source.ts";
import { createHubUpstream } from "./upstream/hub.ts";
import { createVaultUpstream } from "./upstream/vault.ts";
import type { Upstream } from "./upstream/upstream.ts";

/** Unit holding the last status snapshot (for `status` when not running). */
export const STATUS_UNIT = "identity-status";

/** The wired identity lifecycle. */
export interface NodeIdentityParts {
  manager: IdentityManager;
  events: IdentityEvents;
  upstream: Upstream;
  tokens?: TokenSource;
}

/** Options of {@link nodeIdentityFromConfig}. */
export interface FromConfigOptions {
  store: Store;
  logger: Logger;
  clock?: Clock;
  /** Passed to the manager: each renewal's result (metrics). @default no-op */
  onRenewal?: (result: "ok" | "failed") => void;
}

/** Wire the identity lifecycle as the configuration says. */
export function nodeIdentityFromConfig(
  config: EdgeConfig,
  options: FromConfigOptions,
): NodeIdentityParts {
  const log = options.logger.child({ component: "identity" });
  const id = config.identity;
  const upstream: Upstream = id.upstream === "vault"
    ? createVaultUpstream({
      address: config.vault.address!,
      mount: config.vault.mount,
      role: config.vault.role!,
      tokenFile: config.vault.tokenFile!,
      ttlMs: config.vault.ttl,
      caFile: config.vault.caFile,
      nodeName: config.node.name,
      trustDomain: config.trustDomain,
      clock: options.clock,
      logger: log,
    })
    : createHubUpstream({
      server: config.hub.httpServer,
      nodeName: config.node.name,
    });
  const tokens = id.token !== undefined
    ? staticTokenSource(id.token)
    : id.tokenFile !== undefined
    ? tokenFileSource(id.tokenFile, { wipe: id.wipeTokenFile, logger: log })
    : undefined;
  const events = new IdentityEvents(log);
  if (id.sink) {
    events.watch(createNodeIdentitySink({ ...id.sink, logger: log }));
  }
  let saving = Promise.resolve();
  const persistStatus = (s: IdentityStatus) => {
    const bytes = new TextEncoder().encode(JSON.stringify(s));
    saving = saving.then(() => options.store.write(STATUS_UNIT, bytes)).catch(
      (err) =>
        log.warn("could not save the identity status", { error: err.message }),
    );
  };
  const manager = new IdentityManager({
    nodeName: config.node.name,
    trustDomain: config.trustDomain,
    store: options.store,
    upstream,
    events,
    policy: id.renewal,
    tokens,
    clock: options.clock,
    logger: log,
    onStatusChange: persistStatus,
    onRenewal: options.onRenewal,
  });
  return { manager, events, upstream, tokens };
}
