/**
 * edge-runtime: identity and a secure cloud link for edge devices.
 *
 * The public pieces, one namespace per concept. The `edge-runtime` binary's
 * entry point is `src/main.ts`.
 *
 * @example
 * ```ts
 * import { pki, spiffeid } from "./mod.ts";
 * const id = spiffeid.parseSpiffeId("spiffe://example.org/node/pi-01");
 * const ca = await pki.createSelfSignedCa({ subject: { CN: "Hub" }, ttlMs: 86_400_000 });
 * ```
 * @module
 */
export * as pki from "./src/pki/mod.ts";
export * as spiffeid from "./src/spiffeid/mod.ts";
export * as config from "./src/config/mod.ts";
export * as store from "./src/store/mod.ts";
export * as log from "./src/log/mod.ts";
export { EdgeError, type ErrorCode, isEdgeError } from "./src/errors.ts";
export { type Clock, systemClock } from "./src/clock.ts";
export { type Random, secureRandom } from "./src/random.ts";
export { VERSION } from "./src/version.ts";
