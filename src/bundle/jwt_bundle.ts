/**
 * JWT bundles (SPIFFE Trust Domain and Bundle §5): a trust domain's JWT
 * signing keys as a JWK Set, the form the Workload API's FetchJWTBundles
 * sends (`use` = `jwt-svid`, a `kid` on every key).
 *
 * @example
 * ```ts
 * const jwks = await encodeJwtBundle({ trustDomain: "example.org", keys: [{ kid, publicKey }] });
 * const again = await parseJwtBundle("example.org", jwks);
 * ```
 * @module
 */
import { toBase64Url } from "../bytes.ts";
import { EdgeError } from "../errors.ts";
import { parseTrustDomain } from "../spiffeid/mod.ts";

/** One JWT authority: a P-256 public key and its key ID. */
export interface JwtAuthority {
  /** Key ID (the `kid` JWT-SVIDs carry). */
  kid: string;
  /** ECDSA P-256 verify key (extractable to be published). */
  publicKey: CryptoKey;
}

/** The JWT authorities of one trust domain. */
export interface JwtBundle {
  /** Trust domain name, e.g. `example.org`. */
  trustDomain: string;
  /** Signing keys. */
  keys: readonly JwtAuthority[];
}

const EC_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** The public JWK of an authority (`kty` EC, `crv` P-256, `use` jwt-svid). */
export async function encodeJwk(a: JwtAuthority): Promise<JsonWebKey> {
  const jwk = await crypto.subtle.exportKey("jwk", a.publicKey);
  return {
    kty: "EC",
    crv: "P-256",
    x: jwk.x,
    y: jwk.y,
    kid: a.kid,
    use: "jwt-svid",
  } as JsonWebKey;
}

/** JWK Set JSON bytes of the bundle. */
export async function encodeJwtBundle(bundle: JwtBundle): Promise<Uint8Array> {
  const keys = await Promise.all(bundle.keys.map(encodeJwk));
  return enc.encode(JSON.stringify({ keys }));
}

/**
 * Parse a JWK Set. Keys that are not EC P-256 or lack a `kid` are refused
 * (`JWT_INVALID`, naming the key's index).
 */
export async function parseJwtBundle(
  trustDomain: string,
  json: Uint8Array | string,
): Promise<JwtBundle> {
  let set: { keys?: unknown };
  try {
    set = JSON.parse(typeof json === "string" ? json : dec.decode(json));
  } catch (cause) {
    throw new EdgeError("JWT_INVALID", "JWT bundle: not JSON", { cause });
  }
  if (!set || !Array.isArray(set.keys)) {
    throw new EdgeError("JWT_INVALID", 'JWT bundle: expected a "keys" array');
  }
  const keys: JwtAuthority[] = [];
  for (const [i, k] of (set.keys as Record<string, unknown>[]).entries()) {
    if (k?.kty !== "EC" || k.crv !== "P-256" || typeof k.kid !== "string") {
      throw new EdgeError(
        "JWT_INVALID",
        `JWT bundle: keys[${i}]: expected an EC P-256 key with a kid`,
      );
    }
    const publicKey = await crypto.subtle.importKey(
      "jwk",
      { kty: "EC", crv: "P-256", x: k.x as string, y: k.y as string },
      EC_P256,
      true,
      ["verify"],
    ).catch((cause) => {
      throw new EdgeError(
        "JWT_INVALID",
        `JWT bundle: keys[${i}]: not a valid P-256 point`,
        { cause },
      );
    });
    keys.push({ kid: k.kid, publicKey });
  }
  return { trustDomain: parseTrustDomain(trustDomain).name, keys };
}

/** RFC 7638 JWK thumbprint (base64url SHA-256) of a P-256 public key. */
export async function jwkThumbprint(publicKey: CryptoKey): Promise<string> {
  const jwk = await crypto.subtle.exportKey("jwk", publicKey);
  const canonical = `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
  const digest = await crypto.subtle.digest("SHA-256", enc.encode(canonical));
  return toBase64Url(new Uint8Array(digest));
}
