/**
 * The one interface both upstreams (the hub's KubeEdge enrollment API and
 * Vault's PKI engine) implement, so the scheduler does not care who signs.
 * The key pair is always generated on the device; only a CSR leaves it.
 * @module
 */
import type { NodeIdentity, UpstreamKind } from "../state.ts";
import type { JoinToken } from "../token.ts";

/** First enrollment. */
export interface EnrollRequest {
  /** Fresh key pair generated on the device. */
  keys: CryptoKeyPair;
  /** Join token (required when {@link Upstream.needsJoinToken}). */
  token?: JoinToken;
}

/** Renewal of a current (possibly expired) identity. */
export interface RenewRequest {
  /** Fresh key pair for the new certificate. */
  keys: CryptoKeyPair;
  /** The identity being renewed (authenticates the request for the hub). */
  current: NodeIdentity;
}

/** Someone who signs node certificates. */
export interface Upstream {
  /** `hub` or `vault`. */
  readonly kind: UpstreamKind;
  /** Address shown in status and messages. */
  readonly endpoint: string;
  /** True when the first enrollment needs a join token. */
  readonly needsJoinToken: boolean;
  /** Get the first certificate. */
  enroll(request: EnrollRequest): Promise<NodeIdentity>;
  /** Get a new certificate for a new key, authenticated by the current one. */
  renew(request: RenewRequest): Promise<NodeIdentity>;
  /** Background upkeep (e.g. Vault token renewal) until `signal` aborts. */
  start?(signal: AbortSignal): void;
}
