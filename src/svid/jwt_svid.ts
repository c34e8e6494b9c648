/**
 * JWT-SVIDs (JWT-SVID standard): ES256 tokens signed by the node's JWT key,
 * minted per (SPIFFE ID, audience set) and cached until half their
 * lifetime; validation checks signature (by `kid` in the JWT bundle), `aud`,
 * `exp` and that `sub` is a SPIFFE ID of the trust domain.
 *
 * @example
 * ```ts
 * const jwt = await JwtSvidAuthority.create({ trustDomain: "example.org" });
 * const { token } = await jwt.mint("spiffe://example.org/app", ["db"]);
 * const { spiffeId } = await jwt.validate(token, "db");
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import { type JwtClaims, signJwt, verifyJwt } from "../jose/mod.ts";
import { generateKeyPair } from "../pki/mod.ts";
import { isMemberOf, parseSpiffeId } from "../spiffeid/mod.ts";
import {
  jwkThumbprint,
  type JwtAuthority,
  type JwtBundle,
} from "../bundle/mod.ts";

/** A minted JWT-SVID. */
export interface JwtSvid {
  /** The `sub` claim. */
  spiffeId: string;
  /** Compact JWS. */
  token: string;
  /** `exp` in ms. */
  expiresAt: number;
}

/** A validated JWT-SVID. */
export interface ValidatedJwtSvid {
  /** The `sub` claim. */
  spiffeId: string;
  /** All claims. */
  claims: JwtClaims;
}

/** Options of {@link JwtSvidAuthority.create}. */
export interface JwtSvidAuthorityOptions {
  /** Trust domain name, e.g. `example.org`. */
  trustDomain: string;
  /** The node JWT signing key (P-256). @default a new one */
  keys?: CryptoKeyPair;
  /** Token lifetime. @default 300_000 (5 min) */
  ttlMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

/** Mints, caches and validates JWT-SVIDs; publishes the JWT bundle. */
export class JwtSvidAuthority {
  readonly trustDomain: string;
  readonly #keys: CryptoKeyPair;
  readonly #kid: string;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  #cache = new Map<string, { svid: JwtSvid; refreshAt: number }>();
  #peers: JwtAuthority[] = [];
  #watchers = new Set<(b: JwtBundle) => void>();

  private constructor(
    trustDomain: string,
    keys: CryptoKeyPair,
    kid: string,
    options: JwtSvidAuthorityOptions,
  ) {
    this.trustDomain = trustDomain;
    this.#keys = keys;
    this.#kid = kid;
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** Create an authority; the key ID is the key's RFC 7638 thumbprint. */
  static async create(
    options: JwtSvidAuthorityOptions,
  ): Promise<JwtSvidAuthority> {
    const keys = options.keys ?? await generateKeyPair(false);
    const kid = await jwkThumbprint(keys.publicKey);
    return new JwtSvidAuthority(options.trustDomain, keys, kid, options);
  }

  /** Key ID of the node JWT key. */
  get kid(): string {
    return this.#kid;
  }

  /** The JWT bundle: the node key plus keys of other nodes (set by the hub link). */
  bundle(): JwtBundle {
    return {
      trustDomain: this.trustDomain,
      keys: [
        { kid: this.#kid, publicKey: this.#keys.publicKey },
        ...this.#peers,
      ],
    };
  }

  /** Replace the other nodes' JWT keys (from the hub); watchers are told. */
  setPeerAuthorities(peers: readonly JwtAuthority[]): void {
    this.#peers = peers.filter((p) => p.kid !== this.#kid);
    const b = this.bundle();
    for (const cb of [...this.#watchers]) cb(b);
  }

  /** Call `cb` when the bundle changes; returns an unsubscribe function. */
  watch(cb: (b: JwtBundle) => void): () => void {
    this.#watchers.add(cb);
    return () => this.#watchers.delete(cb);
  }

  /**
   * A JWT-SVID for `spiffeId` and `audience` (at least one). Served from the
   * cache until half its lifetime has passed.
   */
  async mint(spiffeId: string, audience: readonly string[]): Promise<JwtSvid> {
    if (audience.length === 0 || audience.some((a) => a === "")) {
      throw new EdgeError(
        "JWT_INVALID",
        "audience: at least one non-empty audience is required",
      );
    }
    const now = this.#clock.now();
    const aud = [...new Set(audience)].sort();
    const key = JSON.stringify([spiffeId, aud]);
    const hit = this.#cache.get(key);
    if (hit && now < hit.refreshAt) return hit.svid;
    const iat = Math.floor(now / 1000);
    const exp = Math.floor((now + this.#ttlMs) / 1000);
    const token = await signJwt(
      { alg: "ES256", typ: "JWT", kid: this.#kid },
      { sub: spiffeId, aud, exp, iat },
      this.#keys.privateKey,
    );
    const svid = { spiffeId, token, expiresAt: exp * 1000 };
    this.#cache.set(key, { svid, refreshAt: now + this.#ttlMs / 2 });
    if (this.#cache.size > 4096) this.#evict(now);
    return svid;
  }

  /**
   * Validate a JWT-SVID for `audience`. Throws `JWT_INVALID` (bad form,
   * signature, unknown kid, audience or subject) or `JWT_EXPIRED`.
   */
  async validate(token: string, audience: string): Promise<ValidatedJwtSvid> {
    if (audience === "") {
      throw new EdgeError("JWT_INVALID", "audience: must not be empty");
    }
    const keys = this.bundle().keys;
    const d = await verifyJwt(token, {
      algorithms: ["ES256"],
      audience,
      now: this.#clock.now(),
      key: (h) =>
        h.kid === undefined
          ? (keys.length === 1 ? keys[0].publicKey : undefined)
          : keys.find((k) => k.kid === h.kid)?.publicKey,
    });
    if (d.header.typ !== undefined && !["JWT", "JOSE"].includes(d.header.typ)) {
      throw new EdgeError("JWT_INVALID", "invalid JWT: typ is not JWT or JOSE");
    }
    const sub = d.claims.sub;
    let id;
    try {
      id = parseSpiffeId(String(sub));
    } catch (cause) {
      throw new EdgeError(
        "JWT_INVALID",
        "invalid JWT: sub is not a SPIFFE ID",
        {
          cause,
        },
      );
    }
    if (!isMemberOf(id, this.trustDomain)) {
      throw new EdgeError(
        "JWT_INVALID",
        `invalid JWT: sub is not in trust domain "${this.trustDomain}"`,
      );
    }
    return { spiffeId: id.toString(), claims: d.claims };
  }

  #evict(now: number): void {
    for (const [k, v] of this.#cache) {
      if (now >= v.refreshAt) this.#cache.delete(k);
    }
  }
}
