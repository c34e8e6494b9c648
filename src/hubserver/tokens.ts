/**
 * Join tokens: `<caHash>.<jwt>` (KubeEdge's outer form, four dot-separated
 * parts). The JWT is HS256 with a hub secret kept in the state dir (unit
 * `token-secret`, never the CA key) and names the node (`sub`), expiry
 * (`exp`) and id (`jti`). Unlike upstream, tokens are per node, single-use,
 * listable and revocable: each has a record (unit `token.<id>`).
 *
 * A token's use is made durable in its node's registry record (written with
 * the enrollment's certificate in one registry write, see `authority.ts`),
 * not in the token's own unit: {@link JoinTokens.noteUsed} only updates the view
 * kept here, and the authority feeds it the uses found in the registry when
 * the hub starts. Token units written before that still say `used`
 * themselves and are read as such.
 *
 * @example
 * ```ts
 * const tokens = await JoinTokens.open(store);
 * const { token } = await tokens.create({ node: "pi-01", ttlMs: 86_400_000, caHash });
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import { type Random, secureRandom } from "../random.ts";
import { toHex } from "../bytes.ts";
import { importHmacKey, signJwt, verifyJwt } from "../jose/mod.ts";
import type { Store } from "../store/mod.ts";

/** Unit holding the HMAC secret of join tokens (32 random bytes). */
export const TOKEN_SECRET_UNIT = "token-secret";
const PREFIX = "token.";

/** A join token's record (the token itself is never stored). */
export interface TokenRecord {
  /** The JWT's `jti`: 32 hex chars. */
  id: string;
  node: string;
  /** ms since the epoch. */
  createdAt: number;
  expiresAt: number;
  state: "active" | "used" | "revoked";
  usedAt?: number;
  revokedAt?: number;
}

/** A record with its effective status (an active token past `expiresAt` is `expired`). */
export interface TokenView extends TokenRecord {
  status: "active" | "used" | "revoked" | "expired";
}

/** Options of {@link JoinTokens.open}. */
export interface JoinTokensOptions {
  /** @default systemClock */
  clock?: Clock;
  /** @default secureRandom */
  random?: Random;
}

function unauthorized(reason: string): EdgeError {
  return new EdgeError(
    "HUB_UNAUTHORIZED",
    `token validation failure: ${reason}`,
  );
}

/** The hub's join tokens, cached in memory and written through the store. */
export class JoinTokens {
  readonly #store: Store;
  readonly #key: CryptoKey;
  readonly #records: Map<string, TokenRecord>;
  readonly #inFlight = new Set<string>();
  readonly #clock: Clock;
  readonly #random: Random;

  private constructor(
    store: Store,
    key: CryptoKey,
    records: Map<string, TokenRecord>,
    options: JoinTokensOptions,
  ) {
    this.#store = store;
    this.#key = key;
    this.#records = records;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? secureRandom;
  }

  /** Load the secret (creating it on first use) and all token records. */
  static async open(
    store: Store,
    options: JoinTokensOptions = {},
  ): Promise<JoinTokens> {
    let secret = await store.read(TOKEN_SECRET_UNIT, {
      validate: (v) => {
        if (v.length !== 32) throw new Error("expected 32 bytes");
      },
    });
    if (!secret) {
      secret = (options.random ?? secureRandom).bytes(32);
      await store.write(TOKEN_SECRET_UNIT, secret);
    }
    const records = new Map<string, TokenRecord>();
    for (const name of await store.list()) {
      if (!name.startsWith(PREFIX)) continue;
      const value = await store.read(name);
      if (!value) continue;
      const rec = JSON.parse(new TextDecoder().decode(value)) as TokenRecord;
      records.set(rec.id, rec);
    }
    return new JoinTokens(store, await importHmacKey(secret), records, options);
  }

  /** Create a token for `node`, valid `ttlMs`; the token string is returned once. */
  async create(
    options: { node: string; ttlMs: number; caHash: string },
  ): Promise<{ record: TokenRecord; token: string }> {
    const now = this.#clock.now();
    const id = toHex(this.#random.bytes(16));
    const record: TokenRecord = {
      id,
      node: options.node,
      createdAt: now,
      expiresAt: now + options.ttlMs,
      state: "active",
    };
    const jwt = await signJwt({ alg: "HS256", typ: "JWT" }, {
      sub: options.node,
      iat: Math.floor(now / 1000),
      exp: Math.floor(record.expiresAt / 1000),
      jti: id,
    }, this.#key);
    await this.#save(record);
    return { record, token: `${options.caHash}.${jwt}` };
  }

  /** All tokens, newest first. */
  list(): TokenView[] {
    const now = this.#clock.now();
    return [...this.#records.values()]
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((r) => ({
        ...r,
        status: r.state === "active" && now > r.expiresAt ? "expired" : r.state,
      }));
  }

  /** Revoke token `id`; throws `HUB_NOT_FOUND`, `HUB_CONFLICT` when already used. */
  async revoke(id: string): Promise<TokenRecord> {
    const rec = this.#records.get(id);
    if (!rec) throw new EdgeError("HUB_NOT_FOUND", `no token with id "${id}"`);
    if (rec.state === "used") {
      throw new EdgeError("HUB_CONFLICT", `token "${id}" was already used`);
    }
    if (rec.state === "revoked") return rec;
    const next = {
      ...rec,
      state: "revoked" as const,
      revokedAt: this.#clock.now(),
    };
    await this.#save(next);
    return next;
  }

  /** Revoke every active token of `node`; returns their ids. */
  async revokeForNode(node: string): Promise<string[]> {
    const ids = [...this.#records.values()]
      .filter((r) => r.node === node && r.state === "active")
      .map((r) => r.id);
    for (const id of ids) await this.revoke(id);
    return ids;
  }

  /** The record of token `id` (state as known here), or undefined. */
  get(id: string): TokenRecord | undefined {
    const rec = this.#records.get(id);
    return rec && { ...rec };
  }

  /**
   * Check a bearer token for `node` (signature, expiry, record, single use)
   * and reserve it so a concurrent request cannot use it too. Make its use
   * durable (the node record), then call {@link JoinTokens.noteUsed}; call
   * `release()` in any case. Accepts the JWT alone or the whole
   * `<caHash>.<jwt>`. Throws `HUB_UNAUTHORIZED`; the error's `tokenId` is
   * set when known.
   */
  async reserve(
    bearer: string,
    node: string,
  ): Promise<{ record: TokenRecord; release: () => void }> {
    const parts = bearer.split(".");
    const jwt = parts.length === 4 ? parts.slice(1).join(".") : bearer;
    let claims;
    try {
      ({ claims } = await verifyJwt(jwt, {
        key: this.#key,
        algorithms: ["HS256"],
        now: this.#clock.now(),
      }));
    } catch (err) {
      throw unauthorized((err as Error).message);
    }
    const id = typeof claims.jti === "string" ? claims.jti : "";
    const rec = this.#records.get(id);
    if (!rec) throw unauthorized("unknown token");
    this.assertUsable(id);
    if (claims.sub !== node || rec.node !== node) {
      throw this.#fail(id, `token is not for node "${node}"`);
    }
    if (this.#inFlight.has(id)) {
      throw this.#fail(id, "token is being used by another request");
    }
    this.#inFlight.add(id);
    return { record: rec, release: () => this.#inFlight.delete(id) };
  }

  /**
   * Throw `HUB_UNAUTHORIZED` (with `tokenId`) unless token `id` is still
   * active (neither used nor revoked); unknown ids pass.
   */
  assertUsable(id: string): void {
    const rec = this.#records.get(id);
    if (rec?.state === "used") throw this.#fail(id, "token was already used");
    if (rec?.state === "revoked") throw this.#fail(id, "token was revoked");
  }

  /**
   * Note that token `id` was used at `usedAt` (ms). In memory only: the
   * durable record of a use is the node record's `usedTokens`, written
   * before this is called (and read back at start-up).
   */
  noteUsed(id: string, usedAt: number): void {
    const rec = this.#records.get(id);
    if (!rec || rec.state === "used") return;
    const next: TokenRecord = { ...rec, state: "used", usedAt };
    delete next.revokedAt;
    this.#records.set(id, next);
  }

  #fail(id: string, reason: string): EdgeError {
    return Object.assign(unauthorized(reason), { tokenId: id });
  }

  async #save(rec: TokenRecord): Promise<void> {
    await this.#store.write(
      PREFIX + rec.id,
      new TextEncoder().encode(JSON.stringify(rec)),
    );
    this.#records.set(rec.id, rec);
  }
}
