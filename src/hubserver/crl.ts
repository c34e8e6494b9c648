/**
 * The hub's CRL: the revoked serials and the signed DER CRL, kept together
 * in one store unit (`crl`: members `der`, `revoked` JSON, `number`) so they
 * never disagree. Regenerated on every revocation and when half of its
 * validity has passed ({@link HubCrl.refreshIfDue}).
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { normalizeSerialHex } from "../bytes.ts";
import { type CertificateIssuer, createCrl } from "../pki/mod.ts";
import type { Store } from "../store/mod.ts";

/** Store unit of the CRL. */
export const CRL_UNIT = "crl";
/** Validity of each CRL (nextUpdate − thisUpdate). */
export const CRL_VALIDITY_MS = 7 * 86_400_000;

/** A revoked certificate. */
export interface RevokedSerial {
  serial: string;
  node: string;
  revokedAt: number;
  /** Dropped from the CRL once expired. */
  notAfter: number;
}

interface CrlState {
  der: Uint8Array;
  number: number;
  thisUpdate: number;
  revoked: RevokedSerial[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The CRL publisher. */
export class HubCrl {
  readonly #store: Store;
  readonly #issuer: CertificateIssuer;
  readonly #clock: Clock;
  #state: CrlState;
  #serials: Set<string>;
  #queue: Promise<void> = Promise.resolve();

  private constructor(
    store: Store,
    issuer: CertificateIssuer,
    clock: Clock,
    state: CrlState,
  ) {
    this.#store = store;
    this.#issuer = issuer;
    this.#clock = clock;
    this.#state = state;
    this.#serials = new Set(
      state.revoked.map((r) => normalizeSerialHex(r.serial)),
    );
  }

  /** Load the CRL, creating an empty one on first start. */
  static async open(
    store: Store,
    issuer: CertificateIssuer,
    options: { clock?: Clock } = {},
  ): Promise<HubCrl> {
    const clock = options.clock ?? systemClock;
    const got = await store.readUnit(CRL_UNIT);
    if (got) {
      const m = got.members;
      const meta = JSON.parse(dec.decode(m.meta)) as Omit<CrlState, "der">;
      return new HubCrl(store, issuer, clock, { ...meta, der: m.der });
    }
    const crl = new HubCrl(store, issuer, clock, {
      der: new Uint8Array(),
      number: 0,
      thisUpdate: 0,
      revoked: [],
    });
    await crl.#publish([]);
    return crl;
  }

  /** The current DER CRL. */
  get der(): Uint8Array {
    return this.#state.der;
  }

  /** CRL number, thisUpdate / nextUpdate (ms) and the serials it lists. */
  get info(): {
    number: number;
    thisUpdate: number;
    nextUpdate: number;
    revokedSerials: number;
  } {
    const s = this.#state;
    return {
      number: s.number,
      thisUpdate: s.thisUpdate,
      nextUpdate: s.thisUpdate + CRL_VALIDITY_MS,
      revokedSerials: s.revoked.length,
    };
  }

  /** True when `serial` (hex) is revoked. */
  isRevoked(serial: string): boolean {
    return this.#serials.has(normalizeSerialHex(serial));
  }

  /** Add `entries` and publish a new CRL. */
  revoke(entries: readonly RevokedSerial[]): Promise<void> {
    return this.#serial(() => this.#publish(entries));
  }

  /** Publish a fresh CRL when half of the current one's validity is gone. */
  refreshIfDue(): Promise<boolean> {
    return this.#serial(async () => {
      const age = this.#clock.now() - this.#state.thisUpdate;
      if (age < CRL_VALIDITY_MS / 2) return false;
      await this.#publish([]);
      return true;
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn);
    this.#queue = next.then(() => {}, () => {});
    return next;
  }

  async #publish(added: readonly RevokedSerial[]): Promise<void> {
    const now = this.#clock.now();
    const known = new Set(this.#state.revoked.map((r) => r.serial));
    const revoked = [
      ...this.#state.revoked,
      ...added.filter((r) => !known.has(r.serial)),
    ].filter((r) => r.notAfter > now);
    const number = this.#state.number + 1;
    const der = await createCrl({
      issuer: this.#issuer,
      revoked: revoked.map((r) => ({
        serialHex: r.serial,
        revokedAt: new Date(r.revokedAt),
        reason: "keyCompromise",
      })),
      thisUpdate: new Date(now),
      nextUpdate: new Date(now + CRL_VALIDITY_MS),
      crlNumber: number,
    });
    const meta = { number, thisUpdate: now, revoked };
    await this.#store.writeUnit(CRL_UNIT, {
      der,
      meta: enc.encode(JSON.stringify(meta)),
    });
    this.#state = { ...meta, der };
    // Keep refusing expired revoked serials too (cheap, and safe).
    for (const r of added) this.#serials.add(normalizeSerialHex(r.serial));
  }
}
