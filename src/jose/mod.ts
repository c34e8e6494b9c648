/**
 * Compact JWS/JWT: HS256 and ES256 signing and verification.
 * @module
 */
export * from "./jws.ts";
