/**
 * Compact JWS/JWT (RFC 7515/7519) with the two algorithms edge-runtime
 * uses: HS256 (hub join tokens) and ES256 (JWT-SVIDs). Verification and
 * HS256 use Web Crypto; ES256 signing goes through `src/pki`'s P-256 signer
 * (the system's libcrypto once warm, faster than Web Crypto here).
 *
 * Names state the risk: {@link verifyJwt} checks the signature and the time
 * claims; {@link decodeJwtInsecure} checks nothing.
 *
 * @example
 * ```ts
 * const key = await importHmacKey(secret);
 * const jwt = await signJwt({ alg: "HS256" }, { sub: "pi-01", exp: 2e9 }, key);
 * const { claims } = await verifyJwt(jwt, { key, algorithms: ["HS256"] });
 * ```
 * @module
 */
import { fromBase64Url, toBase64Url } from "../bytes.ts";
import { EdgeError } from "../errors.ts";
import { type P256PrivateKey, signEcdsaP256 } from "../pki/mod.ts";

/** Supported JWS algorithms. */
export type JwsAlgorithm = "HS256" | "ES256";

/** JOSE header. */
export interface JwsHeader {
  alg: JwsAlgorithm;
  typ?: string;
  kid?: string;
}

/** JWT claims (registered ones typed, the rest open). */
export interface JwtClaims {
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  iss?: string;
  [claim: string]: unknown;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

const PARAMS: Record<JwsAlgorithm, AlgorithmIdentifier | EcdsaParams> = {
  HS256: { name: "HMAC" },
  ES256: { name: "ECDSA", hash: "SHA-256" } as EcdsaParams,
};

/** Import raw bytes as an HS256 key. */
export function importHmacKey(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    secret as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/**
 * Sign `claims` as a compact JWS. HS256 takes an HMAC key (see
 * {@link importHmacKey}); ES256 a P-256 private key (`CryptoKey` or
 * `P256PrivateKey`), otherwise `KEY_INVALID`.
 */
export async function signJwt(
  header: JwsHeader,
  claims: JwtClaims,
  key: CryptoKey | P256PrivateKey,
): Promise<string> {
  const input = `${b64json(header)}.${b64json(claims)}`;
  const data = enc.encode(input);
  let sig: Uint8Array;
  if (header.alg === "ES256") sig = await signEcdsaP256(key, data, "raw");
  else if (key instanceof CryptoKey) {
    sig = new Uint8Array(
      await crypto.subtle.sign(PARAMS[header.alg], key, data),
    );
  } else throw new TypeError(`signJwt: ${header.alg} needs a CryptoKey`);
  return `${input}.${toBase64Url(sig)}`;
}

/** A decoded but unverified JWT. */
export interface DecodedJwt {
  header: JwsHeader;
  claims: JwtClaims;
  signingInput: string;
  signature: Uint8Array;
}

/**
 * Split and decode a compact JWS **without verifying anything**.
 * @throws EdgeError `JWT_INVALID` when it is not three base64url JSON parts.
 */
export function decodeJwtInsecure(jwt: string): DecodedJwt {
  const parts = jwt.split(".");
  if (parts.length !== 3) {
    throw jwtError(`expected 3 dot-separated parts, got ${parts.length}`);
  }
  try {
    const header = JSON.parse(dec.decode(fromBase64Url(parts[0])));
    const claims = JSON.parse(dec.decode(fromBase64Url(parts[1])));
    if (
      !header || typeof header !== "object" || !claims ||
      typeof claims !== "object"
    ) {
      throw new Error("not a JSON object");
    }
    return {
      header,
      claims,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: fromBase64Url(parts[2]),
    };
  } catch (err) {
    throw jwtError(
      "header or claims are not base64url-encoded JSON objects",
      err,
    );
  }
}

/** Options of {@link verifyJwt}. */
export interface VerifyJwtOptions {
  /** Verification key, or a lookup by header (e.g. by `kid`). */
  key:
    | CryptoKey
    | ((
      header: JwsHeader,
    ) => CryptoKey | undefined | Promise<CryptoKey | undefined>);
  /** Accepted algorithms; anything else is refused (no `none`, no confusion). */
  algorithms: readonly JwsAlgorithm[];
  /** Current time in ms. @default Date.now() */
  now?: number;
  /** Tolerance for exp/nbf in seconds. @default 0 */
  leewaySeconds?: number;
  /** Require an `exp` claim. @default true */
  requireExp?: boolean;
  /** When set, `aud` must contain it. */
  audience?: string;
}

/**
 * Verify signature, algorithm, `exp`/`nbf` and optionally `aud`.
 * @throws EdgeError `JWT_INVALID` (malformed, bad signature, wrong alg or
 *   audience) or `JWT_EXPIRED`; messages never include the token.
 */
export async function verifyJwt(
  jwt: string,
  options: VerifyJwtOptions,
): Promise<DecodedJwt> {
  const d = decodeJwtInsecure(jwt);
  if (!options.algorithms.includes(d.header.alg)) {
    throw jwtError(`algorithm ${JSON.stringify(d.header.alg)} is not accepted`);
  }
  const key = typeof options.key === "function"
    ? await options.key(d.header)
    : options.key;
  if (!key) throw jwtError("no key for this token");
  const ok = await crypto.subtle.verify(
    PARAMS[d.header.alg],
    key,
    d.signature as Uint8Array<ArrayBuffer>,
    enc.encode(d.signingInput),
  ).catch(() => false);
  if (!ok) throw jwtError("signature does not verify");
  const now = (options.now ?? Date.now()) / 1000;
  const leeway = options.leewaySeconds ?? 0;
  const { exp, nbf, aud } = d.claims;
  if (exp === undefined) {
    if (options.requireExp ?? true) throw jwtError("exp claim is missing");
  } else if (typeof exp !== "number") {
    throw jwtError("exp claim is not a number");
  } else if (now > exp + leeway) {
    throw new EdgeError(
      "JWT_EXPIRED",
      `token expired at ${new Date(exp * 1000).toISOString()}`,
    );
  }
  if (typeof nbf === "number" && now + leeway < nbf) {
    throw jwtError(
      `token not valid before ${new Date(nbf * 1000).toISOString()}`,
    );
  }
  if (options.audience !== undefined) {
    const auds = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
    if (!auds.includes(options.audience)) {
      throw jwtError(
        `audience ${JSON.stringify(options.audience)} is not in aud`,
      );
    }
  }
  return d;
}

function b64json(v: unknown): string {
  return toBase64Url(enc.encode(JSON.stringify(v)));
}

function jwtError(detail: string, cause?: unknown): EdgeError {
  return new EdgeError("JWT_INVALID", `invalid JWT: ${detail}`, { cause });
}
