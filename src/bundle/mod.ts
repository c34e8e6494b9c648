/**
 * SPIFFE trust bundles: X.509 authorities and JWT authorities (JWK Sets)
 * per trust domain. Knows SPIFFE, nothing about transports.
 * @module
 */
export * from "./x509_bundle.ts";
export * from "./jwt_bundle.ts";
