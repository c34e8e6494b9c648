/**
 * The node registry: one record per enrolled node (state, last seen, the
 * certificates issued to it). Behind the {@link NodeRegistry} interface so a
 * SQL backend can replace the embedded store-backed one
 * ({@link StoreNodeRegistry}, one unit `node.<name>` per node).
 * @module
 */
import type { Store } from "../store/mod.ts";

/** Lifecycle state of a node. */
export type NodeState = "active" | "locked" | "revoked";

/** A certificate issued to a node. */
export interface IssuedCert {
  serial: string;
  kind: "node" | "intermediate";
  /** ms since the epoch. */
  issuedAt: number;
  notAfter: number;
}

/** What the hub knows about one node. */
export interface NodeRecord {
  name: string;
  state: NodeState;
  /** First enrollment, ms since the epoch. */
  enrolledAt: number;
  /** Last successful enrollment/renewal/intermediate. */
  lastSeen: number;
  /** Source address seen last. */
  lastSource?: string;
  /** Certificates not long expired, oldest first. */
  certs: IssuedCert[];
  lockedAt?: number;
  revokedAt?: number;
}

/** Storage of node records. Implementations must be safe for concurrent calls on different names. */
export interface NodeRegistry {
  /** The record of `name`, or undefined. */
  get(name: string): Promise<NodeRecord | undefined>;
  /** All records, sorted by name. */
  list(): Promise<NodeRecord[]>;
  /** Insert or replace the record of `record.name`. */
  put(record: NodeRecord): Promise<void>;
}

const NODE_NAME =
  /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Longest node name (fits a store unit name with its prefix). */
export const MAX_NODE_NAME = 90;

/**
 * True for a valid node name: a lowercase RFC 1123 DNS subdomain (like a
 * Kubernetes node name) of at most {@link MAX_NODE_NAME} characters.
 */
export function isValidNodeName(name: string): boolean {
  return name.length <= MAX_NODE_NAME && NODE_NAME.test(name);
}

const PREFIX = "node.";

/** The embedded registry: records cached in memory, written through the store. */
export class StoreNodeRegistry implements NodeRegistry {
  readonly #store: Store;
  readonly #cache: Map<string, NodeRecord>;

  private constructor(store: Store, cache: Map<string, NodeRecord>) {
    this.#store = store;
    this.#cache = cache;
  }

  /** Load every record of `store`. */
  static async open(store: Store): Promise<StoreNodeRegistry> {
    const cache = new Map<string, NodeRecord>();
    for (const unit of await store.list()) {
      if (!unit.startsWith(PREFIX)) continue;
      const value = await store.read(unit);
      if (!value) continue;
      const rec = JSON.parse(new TextDecoder().decode(value)) as NodeRecord;
      cache.set(rec.name, rec);
    }
    return new StoreNodeRegistry(store, cache);
  }

  get(name: string): Promise<NodeRecord | undefined> {
    const rec = this.#cache.get(name);
    return Promise.resolve(rec && structuredClone(rec));
  }

  list(): Promise<NodeRecord[]> {
    return Promise.resolve(
      [...this.#cache.values()].sort((a, b) => a.name.localeCompare(b.name))
        .map((r) => structuredClone(r)),
    );
  }

  async put(record: NodeRecord): Promise<void> {
    await this.#store.write(
      PREFIX + record.name,
      new TextEncoder().encode(JSON.stringify(record)),
    );
    this.#cache.set(record.name, structuredClone(record));
  }
}
