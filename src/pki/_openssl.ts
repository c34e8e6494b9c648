/**
 * ECDSA P-256 through the system's OpenSSL 3 `libcrypto`, over Deno's FFI:
 * key generation, SHA-256 + ECDSA signing and point checks, each a few
 * tens of microseconds against ~0.2 ms (keygen) and ~0.8 ms (sign) for
 * Deno's Web Crypto here. OpenSSL draws each nonce from its DRBG mixed
 * with the key and the digest (a weak RNG does not leak the key);
 * signatures are normalised to low-S.
 *
 * Opened lazily by `_p256_engine.ts` (mapping the library costs ~10 ms and
 * a few MiB); when the library or the FFI permission is missing,
 * {@link openNativeP256} throws and `src/pki` keeps using Web Crypto.
 *
 * Native memory: one group, one point and one scratch BIGNUM per process
 * (the scalar in it is cleared after each use), and one `EC_KEY` per
 * {@link NativeSigner}, freed by {@link NativeSigner.free} (OpenSSL
 * clears its scalar). Internal.
 * @module
 */

import { inRange, randomScalar } from "./_scalar.ts";

/** The library opened: the one OpenSSL ABI these declarations match. */
export const LIBCRYPTO = "libcrypto.so.3";

const NID_X9_62_PRIME256V1 = 415;
const POINT_CONVERSION_UNCOMPRESSED = 4;
const BN_FLG_CONSTTIME = 0x04;

const SYMBOLS = {
  EC_GROUP_new_by_curve_name: { parameters: ["i32"], result: "pointer" },
  EC_POINT_new: { parameters: ["pointer"], result: "pointer" },
  EC_POINT_mul: {
    parameters: [
      "pointer",
      "pointer",
      "pointer",
      "pointer",
      "pointer",
      "pointer",
    ],
    result: "i32",
  },
  EC_POINT_point2oct: {
    parameters: ["pointer", "pointer", "i32", "buffer", "usize", "pointer"],
    result: "usize",
  },
  EC_POINT_oct2point: {
    parameters: ["pointer", "pointer", "buffer", "usize", "pointer"],
    result: "i32",
  },
  EC_POINT_is_at_infinity: {
    parameters: ["pointer", "pointer"],
    result: "i32",
  },
  EC_KEY_new_by_curve_name: { parameters: ["i32"], result: "pointer" },
  EC_KEY_set_private_key: { parameters: ["pointer", "pointer"], result: "i32" },
  EC_KEY_free: { parameters: ["pointer"], result: "void" },
  BN_new: { parameters: [], result: "pointer" },
  BN_bin2bn: { parameters: ["buffer", "i32", "pointer"], result: "pointer" },
  BN_bn2binpad: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  BN_set_flags: { parameters: ["pointer", "i32"], result: "void" },
  BN_clear: { parameters: ["pointer"], result: "void" },
  ECDSA_do_sign: {
    parameters: ["buffer", "i32", "pointer"],
    result: "pointer",
  },
  ECDSA_SIG_get0_r: { parameters: ["pointer"], result: "pointer" },
  ECDSA_SIG_get0_s: { parameters: ["pointer"], result: "pointer" },
  ECDSA_SIG_free: { parameters: ["pointer"], result: "void" },
  SHA256: { parameters: ["buffer", "usize", "buffer"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

const N_BIG =
  0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = N_BIG >> 1n;

/** Signs with one private key; {@link free} releases its native copy. */
export interface NativeSigner {
  /** Raw `r || s` (64 bytes, low-S) ECDSA signature of SHA-256(`data`). */
  sign(data: Uint8Array): Uint8Array;
  /** Free the native key (OpenSSL clears the scalar). Idempotent. */
  free(): void;
}

/** P-256 operations backed by libcrypto. */
export interface NativeP256 {
  /** A fresh key: scalar (32 bytes) and uncompressed public point. */
  generate(): { d: Uint8Array; point: Uint8Array };
  /** A signer for the scalar `d` (32 bytes, 0 < d < n; not kept by reference). */
  signer(d: Uint8Array): NativeSigner;
  /** True when `point` is an uncompressed point on P-256 (not infinity). */
  isPoint(point: Uint8Array): boolean;
}

function bigFrom(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Replace s by n - s when s > n/2 (both verify; low-S is canonical). */
function lowS(raw: Uint8Array): Uint8Array {
  const s = bigFrom(raw.subarray(32));
  if (s <= HALF_N) return raw;
  let v = N_BIG - s;
  for (let i = 63; i >= 32; i--) {
    raw[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return raw;
}

/**
 * Open libcrypto and set up the shared objects. Throws when the library
 * cannot be opened (absent, another ABI, no `--allow-ffi`) or set up.
 */
export function openNativeP256(path: string = LIBCRYPTO): NativeP256 {
  const lib = Deno.dlopen(path, SYMBOLS);
  const c = lib.symbols;
  const need = <T>(v: T | null, what: string): T => {
    if (v === null) throw new Error(`libcrypto: ${what} failed`);
    return v;
  };
  const group = need(
    c.EC_GROUP_new_by_curve_name(NID_X9_62_PRIME256V1),
    "EC_GROUP_new_by_curve_name",
  );
  const point = need(c.EC_POINT_new(group), "EC_POINT_new");
  const scratch = need(c.BN_new(), "BN_new");
  c.BN_set_flags(scratch, BN_FLG_CONSTTIME);
  const digest = new Uint8Array(32);

  return {
    generate() {
      const d = randomScalar();
      const out = new Uint8Array(65);
      try {
        need(c.BN_bin2bn(d, 32, scratch), "BN_bin2bn");
        if (c.EC_POINT_mul(group, point, scratch, null, null, null) !== 1) {
          throw new Error("libcrypto: EC_POINT_mul failed");
        }
        if (
          Number(c.EC_POINT_point2oct(
            group,
            point,
            POINT_CONVERSION_UNCOMPRESSED,
            out,
            65n,
            null,
          )) !== 65
        ) throw new Error("libcrypto: EC_POINT_point2oct failed");
      } catch (err) {
        d.fill(0);
        throw err;
      } finally {
        c.BN_clear(scratch);
      }
      return { d, point: out };
    },

    signer(d) {
      if (d.length !== 32 || !inRange(d)) {
        throw new Error("libcrypto: not a P-256 private scalar");
      }
      let key: Deno.PointerValue = need(
        c.EC_KEY_new_by_curve_name(NID_X9_62_PRIME256V1),
        "EC_KEY_new_by_curve_name",
      );
      try {
        need(c.BN_bin2bn(d, 32, scratch), "BN_bin2bn");
        if (c.EC_KEY_set_private_key(key, scratch) !== 1) {
          throw new Error("libcrypto: EC_KEY_set_private_key failed");
        }
      } catch (err) {
        c.EC_KEY_free(key);
        throw err;
      } finally {
        c.BN_clear(scratch);
      }
      return {
        sign(data) {
          if (key === null) throw new Error("libcrypto: signer was freed");
          c.SHA256(data, BigInt(data.length), digest);
          const sig = need(c.ECDSA_do_sign(digest, 32, key), "ECDSA_do_sign");
          const raw = new Uint8Array(64);
          try {
            c.BN_bn2binpad(c.ECDSA_SIG_get0_r(sig), raw.subarray(0, 32), 32);
            c.BN_bn2binpad(c.ECDSA_SIG_get0_s(sig), raw.subarray(32), 32);
          } finally {
            c.ECDSA_SIG_free(sig);
          }
          return lowS(raw);
        },
        free() {
          if (key !== null) c.EC_KEY_free(key);
          key = null;
        },
      };
    },

    isPoint(p) {
      if (p.length !== 65 || p[0] !== POINT_CONVERSION_UNCOMPRESSED) {
        return false;
      }
      // oct2point refuses coordinates off the curve (cofactor 1: no
      // subgroup check needed).
      return c.EC_POINT_oct2point(group, point, p, 65n, null) === 1 &&
        c.EC_POINT_is_at_infinity(group, point) === 0;
    },
  };
}
