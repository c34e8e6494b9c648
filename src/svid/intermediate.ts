/**
 * The node intermediate CA that signs workload X509-SVIDs locally, and the
 * one-method-plus-watch {@link IntermediateSource} the SVID cache reads it
 * from. The runtime feeds it from `intermediate_client.ts` (hub) and the
 * store; tests feed it from a local test CA.
 *
 * @example
 * ```ts
 * const source = createIntermediateHolder();
 * source.set({ cert, keys, bundle });
 * const stop = source.watch((i) => console.log("new intermediate", i?.cert.serialHex));
 * ```
 * @module
 */
import type { X509Bundle } from "../bundle/mod.ts";
import type { Certificate } from "../pki/mod.ts";

/** A node intermediate CA with its key and the trust domain's roots. */
export interface NodeIntermediate {
  /** The node CA certificate (cA, pathLen 0, name-constrained to the trust domain). */
  cert: Certificate;
  /** Its key pair (signs the SVIDs). */
  keys: CryptoKeyPair;
  /**
   * Certificates between the node CA and the roots, node CA side first
   * (usually none). Sent after the node CA in every SVID chain.
   * @default []
   */
  upstreamChain?: readonly Certificate[];
  /** Trust bundle: the trust domain's root CA certificates. */
  bundle: X509Bundle;
}

/** Where the current node intermediate comes from. */
export interface IntermediateSource {
  /** The current intermediate, or undefined before the first one arrives. */
  current(): NodeIntermediate | undefined;
  /** Call `cb` whenever the intermediate (or its bundle) changes; returns an unsubscribe function. */
  watch(cb: (current: NodeIntermediate | undefined) => void): () => void;
}

/** An {@link IntermediateSource} whose value is set by its owner. */
export interface IntermediateHolder extends IntermediateSource {
  /** Replace the current intermediate and notify watchers. */
  set(next: NodeIntermediate | undefined): void;
}

/** Create an {@link IntermediateHolder}, optionally with a first value. */
export function createIntermediateHolder(
  initial?: NodeIntermediate,
): IntermediateHolder {
  let value = initial;
  const watchers = new Set<(i: NodeIntermediate | undefined) => void>();
  return {
    current: () => value,
    watch(cb) {
      watchers.add(cb);
      return () => watchers.delete(cb);
    },
    set(next) {
      value = next;
      for (const cb of [...watchers]) cb(next);
    },
  };
}
