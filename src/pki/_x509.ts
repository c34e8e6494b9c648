/**
 * The only module that loads `@peculiar/x509` (and the `reflect-metadata`
 * polyfill it needs first). Everything else imports X.509 types from here,
 * so swapping the library is a local change.
 * @module
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

export { x509 };

/** ECDSA P-256 with SHA-256: the one algorithm edge-runtime issues with. */
export const ECDSA_P256 = {
  name: "ECDSA",
  namedCurve: "P-256",
  hash: "SHA-256",
} as const;
