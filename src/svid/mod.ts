/**
 * SVIDs: X509-SVIDs issued locally from the node intermediate and rotated
 * at half-life (also offline), JWT-SVIDs signed by the node JWT key, and
 * the client that obtains the node intermediate from the hub. Knows SPIFFE,
 * nothing about the Workload API transport.
 * @module
 */
export * from "./intermediate.ts";
export * from "./schedule.ts";
export * from "./x509_svid.ts";
export * from "./x509_cache.ts";
export * from "./jwt_svid.ts";
export * from "./jwt_key.ts";
export * from "./intermediate_client.ts";
