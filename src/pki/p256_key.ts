/**
 * P-256 private keys held as their raw scalar ({@link P256PrivateKey}) and
 * the one signing entry point of `src/pki` ({@link signEcdsaP256}): ECDSA
 * P-256 / SHA-256 with the system's OpenSSL libcrypto (over FFI, low-S,
 * synchronous, 15–20 times faster than Deno's Web Crypto here) once it is
 * open — after a burst of keys and signatures or {@link warmUpP256Signer}
 * — and Web Crypto before that or without it (see `_p256_engine.ts`).
 * Key generation uses libcrypto too once it is open. Encodings (PKCS#8, SEC1, SPKI)
 * come from our own DER encoder, not from Web Crypto exports.
 *
 * Web Crypto keys made or loaded by `src/pki` (`generateKeyPair`,
 * `parsePrivateKey…`, {@link P256PrivateKey.toCryptoKeyPair}) are mapped
 * to their scalar inside this module, non-extractable ones included, so
 * that they sign on the fast path too; the scalar of a non-extractable key
 * never leaves it (every export checks `extractable`). Other extractable
 * keys are read once (PKCS#8 export) and remembered; other non-extractable
 * keys sign with Web Crypto.
 *
 * @example
 * ```ts
 * const key = await P256PrivateKey.generate();
 * const sig = await signEcdsaP256(key, data); // DER Ecdsa-Sig-Value
 * const pkcs8 = key.encodePkcs8Der();
 * key.destroy(); // zero the scalar
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";
import { bytesEqual, concat, fromBase64Url } from "../bytes.ts";
import { ecdsaRawToDer } from "./_ecdsa.ts";
import {
  loadedP256,
  type P256EngineName,
  signingP256,
  warmUpP256,
} from "./_p256_engine.ts";
import type { NativeSigner } from "./_openssl.ts";
import { encodeSec1Der, readPrivateKeyDer, scalarToPkcs8 } from "./_sec1.ts";
import { randomScalar } from "./_scalar.ts";
import { p256Spki, rememberSpki } from "./_spki.ts";
import {
  bitString,
  cachedOid,
  ctx,
  integer,
  octetString,
  OID,
  seq,
  tlv,
} from "./_der.ts";

const EC_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" } as const;

/** Signature encodings: DER `Ecdsa-Sig-Value` (X.509) or raw `r || s` (JWS). */
export type EcdsaSignatureFormat = "der" | "raw";

/**
 * Web Crypto private key → its key (null: known not to be readable). Holds
 * the only references to the scalars of non-extractable keys.
 */
const registry = new WeakMap<CryptoKey, P256PrivateKey | null>();
/** Frees the native copy of a key that was collected without `destroy()`. */
const nativeKeys = new FinalizationRegistry<NativeSigner>((s) => s.free());
/** `P256PrivateKey.#known`, for {@link signEcdsaP256} (set by the class). */
let knownKey: (key: CryptoKey) => Promise<P256PrivateKey | undefined>;

/** x and y of a P-256 key from Web Crypto (JWK export). */
async function jwkPoint(key: CryptoKey): Promise<Uint8Array> {
  const jwk = await crypto.subtle.exportKey("jwk", key);
  return concat(Uint8Array.of(4), fromBase64Url(jwk.x!), fromBase64Url(jwk.y!));
}

/**
 * An ECDSA P-256 private key as its raw scalar and uncompressed public
 * point. Signs without an async Web Crypto round trip and encodes itself
 * (PKCS#8, SEC1, SPKI). Never printed: `console.log` and `JSON.stringify`
 * show no key material. Call {@link destroy} to zero the scalar when done.
 */
export class P256PrivateKey {
  #d: Uint8Array;
  readonly #point: Uint8Array;
  #spki: Uint8Array | undefined;
  /** Web Crypto keys of the same key, when known (fallback signer). */
  #pair: Partial<CryptoKeyPair> = {};
  /** Its native copy, once it signed through libcrypto. */
  #native: NativeSigner | undefined;

  private constructor(d: Uint8Array, point: Uint8Array) {
    this.#d = d;
    this.#point = point;
  }

  /**
   * Generate a key: a uniformly random scalar from the CSPRNG
   * (`_scalar.ts`), its public point from libcrypto when it is open, else
   * from Web Crypto (PKCS#8 import, JWK export). Not Web Crypto's
   * `generateKey`: in Deno it first seeds a second random generator, 40–60
   * ms of CPU once per process, which a start-up issuing its first SVIDs
   * would wait for.
   */
  static async generate(): Promise<P256PrivateKey> {
    const engine = loadedP256();
    if (engine) {
      const { d, point } = engine.generate();
      return new P256PrivateKey(d, point);
    }
    const key = await P256PrivateKey.#fromScalar(randomScalar());
    // Its Web Crypto key came from a PKCS#8 without the public key, and
    // exports as such: toCryptoKeyPair() imports the full encoding.
    key.#pair = {};
    return key;
  }

  /**
   * Load a key from PKCS#8 or SEC1 DER; an embedded public key must belong
   * to the scalar. Throws `KEY_INVALID` (also for other key types).
   */
  static async fromDer(der: Uint8Array): Promise<P256PrivateKey> {
    let parts;
    try {
      parts = readPrivateKeyDer(der);
    } catch (err) {
      if (err instanceof EdgeError) throw err;
      throw new EdgeError(
        "KEY_INVALID",
        `Private key: malformed DER (${(err as Error).message})`,
        { cause: err },
      );
    }
    const key = await P256PrivateKey.#fromScalar(parts.d);
    if (parts.publicPoint && !bytesEqual(parts.publicPoint, key.#point)) {
      key.destroy();
      throw new EdgeError(
        "KEY_INVALID",
        "Private key: the embedded public key does not belong to the private key",
      );
    }
    return key;
  }

  /**
   * The key of scalar `d` (taken, zeroed on failure) with its point, via a
   * Web Crypto import and JWK export. Throws `KEY_INVALID`.
   */
  static async #fromScalar(d: Uint8Array): Promise<P256PrivateKey> {
    const pkcs8 = scalarToPkcs8(d);
    let privateKey: CryptoKey;
    let point: Uint8Array;
    try {
      privateKey = await crypto.subtle.importKey(
        "pkcs8",
        pkcs8 as BufferSource,
        EC_P256,
        true,
        ["sign"],
      );
      point = await jwkPoint(privateKey);
    } catch (cause) {
      d.fill(0);
      throw new EdgeError("KEY_INVALID", "Private key: not a valid P-256 key", {
        cause,
      });
    } finally {
      pkcs8.fill(0);
    }
    const key = new P256PrivateKey(d, point);
    key.#pair = { privateKey };
    return key;
  }

  /**
   * The scalar behind an extractable P-256 private `CryptoKey` (read once
   * per key, then remembered). Throws `KEY_INVALID` for other keys and for
   * non-extractable ones. The result is the caller's copy.
   */
  static async fromCryptoKey(key: CryptoKey): Promise<P256PrivateKey> {
    assertP256PrivateKey(key);
    if (!key.extractable) {
      throw new EdgeError(
        "KEY_INVALID",
        "Private key is not extractable; it cannot be exported",
      );
    }
    return (await knownKey(key))!.#clone();
  }

  /** The key behind a Web Crypto key of ours or an extractable one. */
  static async #known(key: CryptoKey): Promise<P256PrivateKey | undefined> {
    const hit = registry.get(key);
    if (hit !== undefined || !key.extractable) return hit ?? undefined;
    const k = await P256PrivateKey.#fromExtractable(key);
    k.#pair = { privateKey: key };
    registry.set(key, k);
    return k;
  }

  /** Read the scalar (and point) of an extractable key via PKCS#8. */
  static async #fromExtractable(key: CryptoKey): Promise<P256PrivateKey> {
    const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
    try {
      const parts = readPrivateKeyDer(der);
      // Deno includes the public key; other writers may not.
      const point = parts.publicPoint?.slice() ?? await jwkPoint(key);
      return new P256PrivateKey(parts.d, point);
    } finally {
      der.fill(0);
    }
  }

  /** Uncompressed public point `04 || x || y` (a copy). */
  get publicPoint(): Uint8Array {
    return this.#point.slice();
  }

  /** True once {@link destroy} has zeroed the scalar. */
  get destroyed(): boolean {
    return this.#d.length === 0;
  }

  /** SubjectPublicKeyInfo DER of the public key (a copy). */
  encodeSpkiDer(): Uint8Array {
    return this.#spkiShared().slice();
  }

  #spkiShared(): Uint8Array {
    return this.#spki ??= p256Spki(this.#point);
  }

  /**
   * PKCS#8 `PrivateKeyInfo` DER holding a SEC1 key with the public key and
   * without inner parameters (what OpenSSL and Web Crypto write).
   */
  encodePkcs8Der(): Uint8Array {
    const d = this.#scalar();
    const inner = seq(
      integer(1),
      octetString(d),
      tlv(ctx(1, true), bitString(this.#point)),
    );
    try {
      return seq(
        integer(0),
        seq(cachedOid(OID.ecPublicKey), cachedOid(OID.prime256v1)),
        octetString(inner),
      );
    } finally {
      inner.fill(0);
    }
  }

  /** SEC1 `ECPrivateKey` DER (RFC 5915) with the curve OID and public key. */
  encodeSec1Der(): Uint8Array {
    return encodeSec1Der(this.#scalar(), this.#point);
  }

  /**
   * Web Crypto keys for this key (the private one non-extractable unless
   * asked); they sign on the fast path as well.
   */
  async toCryptoKeyPair(extractable = true): Promise<CryptoKeyPair> {
    this.#scalar();
    let privateKey = this.#pair.privateKey;
    if (!privateKey || privateKey.extractable !== extractable) {
      const pkcs8 = this.encodePkcs8Der();
      try {
        privateKey = await crypto.subtle.importKey(
          "pkcs8",
          pkcs8 as BufferSource,
          EC_P256,
          extractable,
          ["sign"],
        );
      } finally {
        pkcs8.fill(0);
      }
    }
    const publicKey = this.#pair.publicKey ?? await crypto.subtle.importKey(
      "raw",
      this.#point as BufferSource,
      EC_P256,
      true,
      ["verify"],
    );
    rememberSpki(publicKey, this.#spkiShared());
    const copy = this.#clone();
    copy.#pair = { privateKey, publicKey };
    registry.set(privateKey, copy);
    return { privateKey, publicKey };
  }

  /** ECDSA P-256 / SHA-256 signature of `data` (see {@link signEcdsaP256}). */
  async sign(
    data: Uint8Array,
    format: EcdsaSignatureFormat = "der",
  ): Promise<Uint8Array> {
    const d = this.#scalar();
    const engine = signingP256();
    let raw: Uint8Array;
    if (engine) {
      if (!this.#native) {
        this.#native = engine.signer(d);
        nativeKeys.register(this, this.#native, this);
      }
      raw = this.#native.sign(data);
    } else {
      this.#pair.privateKey ??= (await this.toCryptoKeyPair(false)).privateKey;
      raw = new Uint8Array(
        await crypto.subtle.sign(
          ECDSA_SHA256,
          this.#pair.privateKey,
          data as BufferSource,
        ),
      );
    }
    return format === "der" ? ecdsaRawToDer(raw) : raw;
  }

  /** Zero the scalar; the key cannot sign or be encoded afterwards. */
  destroy(): void {
    this.#d.fill(0);
    this.#d = new Uint8Array(0);
    this.#pair = {};
    if (this.#native) {
      nativeKeys.unregister(this);
      this.#native.free();
      this.#native = undefined;
    }
  }

  #scalar(): Uint8Array {
    if (this.#d.length === 0) {
      throw new EdgeError("KEY_INVALID", "Private key was destroyed");
    }
    return this.#d;
  }

  #clone(): P256PrivateKey {
    const k = new P256PrivateKey(this.#scalar().slice(), this.#point);
    k.#spki = this.#spki;
    return k;
  }

  /** No key material in JSON. */
  toJSON(): { kty: "EC"; crv: "P-256" } {
    return { kty: "EC", crv: "P-256" };
  }

  /** No key material in `console.log` / `Deno.inspect`. */
  [Symbol.for("Deno.customInspect")](): string {
    return "P256PrivateKey {}";
  }

  /** No key material in `node:util` inspect. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "P256PrivateKey {}";
  }

  static {
    knownKey = (key) => P256PrivateKey.#known(key);
  }
}

function assertP256PrivateKey(key: CryptoKey): void {
  const alg = key.algorithm as EcKeyAlgorithm;
  if (alg.name !== "ECDSA" || alg.namedCurve !== "P-256") {
    throw new EdgeError(
      "KEY_INVALID",
      `key: expected an ECDSA P-256 key, found ${alg.name}${
        alg.namedCurve ? " " + alg.namedCurve : ""
      }`,
    );
  }
  if (key.type !== "private") {
    throw new EdgeError("KEY_INVALID", "Expected a private key");
  }
}

/**
 * ECDSA P-256 / SHA-256 signature of `data`: DER `Ecdsa-Sig-Value` for
 * X.509 or raw `r || s` (64 bytes) for JWS. `key` is a
 * {@link P256PrivateKey} or a P-256 private `CryptoKey` with the `sign`
 * usage. Throws `KEY_INVALID` for other keys.
 */
export async function signEcdsaP256(
  key: P256PrivateKey | CryptoKey,
  data: Uint8Array,
  format: EcdsaSignatureFormat = "der",
): Promise<Uint8Array> {
  if (key instanceof P256PrivateKey) return await key.sign(data, format);
  assertP256PrivateKey(key);
  const known = await knownKey(key);
  if (known) return await known.sign(data, format);
  registry.set(key, null);
  const raw = new Uint8Array(
    await crypto.subtle.sign(ECDSA_SHA256, key, data as BufferSource),
  );
  return format === "der" ? ecdsaRawToDer(raw) : raw;
}

/**
 * Open libcrypto now rather than after a burst of signatures (~10 ms and a
 * few MiB, once). Resolves to the implementation that signs from now on:
 * "openssl", or "webcrypto" when the library (or `--allow-ffi`) is missing.
 */
export function warmUpP256Signer(): Promise<P256EngineName> {
  return Promise.resolve(warmUpP256());
}
