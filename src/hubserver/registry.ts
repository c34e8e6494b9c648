/**
 * The node registry: one record per enrolled node (state, last seen, the
 * certificates issued to it, the join tokens it enrolled with). Behind the
 * {@link NodeRegistry} interface so a SQL backend can replace the embedded
 * store-backed one ({@link StoreNodeRegistry}).
 *
 * The record is where a join token's use is made durable: an enrollment
 * writes the new certificate and the token's id in ONE `put`, so a crash
 * leaves either both or neither (see `authority.ts`).
 *
 * **Embedded layout** (all in the state dir, through `src/store`):
 * - unit `nodes`: a snapshot, members `records` (JSON array of records) and
 *   `journal` (the generation of the first journal that follows it);
 * - `nodes.<gen>.journal`: append-only logs (`openAppendLog`: fsynced,
 *   group-committed) of whole records put after that snapshot, one per line
 *   as `<first 16 hex of the JSON's SHA-256> <JSON>`; a later line replaces
 *   an earlier record of the same node;
 * - units `node.<name>`: one record each, as written by hubs before the
 *   journal; read on open, folded into the first snapshot, then removed.
 *
 * Open only reads: the legacy units, then the snapshot, then every journal
 * from the snapshot's generation up, in order. The first `put` appends to
 * the newest (after a first compaction when there is no snapshot yet, or
 * its journal is missing). A `put` is one append (no file created, no
 * directory fsync), which is what makes enrollment cheap.
 *
 * Once the journal holds as many lines as there are nodes (at least
 * {@link StoreNodeRegistryOptions.compactAfter}), a compaction runs with
 * puts held back: create the empty journal `gen + 1`, write the snapshot
 * naming it (the store's directory fsync also makes the new journal's entry
 * durable), switch to it, then remove the journals older than the snapshot
 * just replaced (that one is now the store's `.prev`, the fallback if the
 * new snapshot is ever found corrupt, and it needs them) and legacy units.
 *
 * Crash at any point: there is a good snapshot (or none and the legacy
 * units) and every journal from its generation up; replaying whole records
 * the snapshot already holds changes nothing, and an empty journal left by
 * an interrupted compaction is just replayed empty. A torn last line (a
 * crash mid-append, never acknowledged) is ignored, and cut off once the
 * journal is appended to again. A corrupt journal line stops the open (`STORE_CORRUPT`,
 * naming the file and line): dropping it could forget a token's use.
 * Downgrading to a hub from before the journal is not supported (it would
 * not see the records).
 * @module
 */
import { toHex } from "../bytes.ts";
import { sha256 } from "../digest.ts";
import { EdgeError } from "../errors.ts";
import { type AppendLog, openAppendLog, type Store } from "../store/mod.ts";

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

/** A join token the node enrolled with (its single use, made durable here). */
export interface UsedToken {
  /** The token's id (`jti`). */
  id: string;
  /** ms since the epoch. */
  usedAt: number;
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
  /**
   * Join tokens used to enroll this node, oldest first. Absent in records
   * written before token uses were recorded here (those tokens' own records
   * say `used`).
   */
  usedTokens?: UsedToken[];
}

/** Storage of node records. Implementations must be safe for concurrent calls on different names. */
export interface NodeRegistry {
  /** The record of `name`, or undefined. */
  get(name: string): Promise<NodeRecord | undefined>;
  /** All records, sorted by name. */
  list(): Promise<NodeRecord[]>;
  /** Insert or replace the record of `record.name`; durable when it resolves. */
  put(record: NodeRecord): Promise<void>;
  /** Wait for pending writes, then release files/connections. */
  close(): Promise<void>;
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

/** Unit name prefix of records written before the journal (one unit per node). */
const LEGACY_PREFIX = "node.";
/** The snapshot unit. */
export const NODES_UNIT = "nodes";
const JOURNAL = /^nodes\.(\d+)\.journal$/;
const journalName = (gen: number) => `nodes.${gen}.journal`;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Options of {@link StoreNodeRegistry.open}. */
export interface StoreNodeRegistryOptions {
  /** Fewest journal lines that trigger a compaction. @default 1000 */
  compactAfter?: number;
}

function checksum(json: string): string {
  return toHex(sha256(enc.encode(json))).slice(0, 16);
}

function parseRecord(json: string, where: string): [string, string] {
  let rec;
  try {
    rec = JSON.parse(json);
  } catch {
    rec = undefined;
  }
  if (typeof rec?.name !== "string" || !Array.isArray(rec.certs)) {
    throw new EdgeError(
      "STORE_CORRUPT",
      `node registry: ${where} is not a node record`,
    );
  }
  return [rec.name, json];
}

/** Parse the records of a journal's text; a torn last line is ignored. */
function parseJournal(
  text: string,
  path: string,
  into: Map<string, string>,
): void {
  const lines = text.split("\n");
  lines.pop(); // "" after the last newline, or a torn line never acknowledged
  lines.forEach((line, i) => {
    const json = line.slice(17);
    const where = `journal "${path}" line ${i + 1}`;
    if (line[16] !== " " || checksum(json) !== line.slice(0, 16)) {
      throw new EdgeError(
        "STORE_CORRUPT",
        `node registry: ${where} is corrupt (checksum mismatch): ` +
          "repair or remove that line to start (its node record is lost)",
      );
    }
    const [name] = parseRecord(json, where);
    into.set(name, json);
  });
}

function validateSnapshot(members: Record<string, Uint8Array>): void {
  const gen = Number(dec.decode(members.journal ?? new Uint8Array()));
  if (!Number.isSafeInteger(gen) || gen < 0) {
    throw new Error("member journal: expected a generation number");
  }
  if (!Array.isArray(JSON.parse(dec.decode(members.records)))) {
    throw new Error("member records: expected a JSON array");
  }
}

/**
 * The embedded registry: records cached in memory (as JSON), made durable
 * by appending to a journal in the store's directory (see the module doc).
 */
export class StoreNodeRegistry implements NodeRegistry {
  readonly #store: Store;
  /** name → record JSON (parsed afresh for each caller). */
  readonly #cache: Map<string, string>;
  readonly #compactAfter: number;
  /** The journal appended to; opened by the first put. */
  #log?: Promise<AppendLog>;
  /** Generation of the journal appended to. */
  #gen: number;
  /** The first put compacts first: no snapshot yet, or its journal is gone. */
  #mustCompact: boolean;
  /** Generation named by the snapshot on disk (undefined: none yet). */
  #snapshotGen: number | undefined;
  /** Journal generations present. */
  #journals: number[];
  /** Legacy units not yet folded into a snapshot. */
  #legacy: string[];
  #appending = 0;
  #idle?: PromiseWithResolvers<void>;
  #compaction?: Promise<void>;
  #compactAt = 0;

  private constructor(
    store: Store,
    state: {
      cache: Map<string, string>;
      gen: number;
      snapshotGen: number | undefined;
      journals: number[];
      legacy: string[];
      compactAfter: number;
    },
  ) {
    this.#store = store;
    this.#cache = state.cache;
    this.#gen = state.gen;
    this.#snapshotGen = state.snapshotGen;
    this.#journals = state.journals;
    this.#legacy = state.legacy;
    this.#compactAfter = state.compactAfter;
    this.#mustCompact = state.snapshotGen === undefined ||
      !state.journals.includes(state.gen);
    this.#compactAt = this.#threshold();
  }

  /**
   * Load every record of `store` (legacy units, snapshot, journals). Reads
   * only: nothing is written (or opened for writing) before the first
   * `put`, so this is also how a tool inspects a stopped hub's registry.
   * Throws `STORE_CORRUPT` naming a bad journal line or record.
   */
  static async open(
    store: Store,
    options: StoreNodeRegistryOptions = {},
  ): Promise<StoreNodeRegistry> {
    const cache = new Map<string, string>();
    const legacy: string[] = [];
    const journals: number[] = [];
    for (const unit of await store.list()) {
      const m = JOURNAL.exec(unit);
      if (m) journals.push(Number(m[1]));
      if (!unit.startsWith(LEGACY_PREFIX)) continue;
      const value = await store.read(unit);
      if (!value) continue;
      const [name, json] = parseRecord(dec.decode(value), `unit "${unit}"`);
      cache.set(name, json);
      legacy.push(unit);
    }
    journals.sort((a, b) => a - b);
    const snapshot = await store.readUnit(NODES_UNIT, {
      validate: validateSnapshot,
    });
    let snapshotGen: number | undefined;
    if (snapshot) {
      snapshotGen = Number(dec.decode(snapshot.members.journal));
      for (const rec of JSON.parse(dec.decode(snapshot.members.records))) {
        const [name, json] = parseRecord(JSON.stringify(rec), "snapshot");
        cache.set(name, json);
      }
    }
    const replay = journals.filter((g) => g >= (snapshotGen ?? 0));
    for (const g of replay) {
      const path = `${store.dir}/${journalName(g)}`;
      parseJournal(dec.decode(await Deno.readFile(path)), path, cache);
    }
    return new StoreNodeRegistry(store, {
      cache,
      gen: Math.max(snapshotGen ?? 0, ...replay),
      snapshotGen,
      journals,
      legacy,
      compactAfter: options.compactAfter ?? 1000,
    });
  }

  get(name: string): Promise<NodeRecord | undefined> {
    const json = this.#cache.get(name);
    return Promise.resolve(json === undefined ? undefined : JSON.parse(json));
  }

  list(): Promise<NodeRecord[]> {
    return Promise.resolve(
      [...this.#cache.keys()].sort((a, b) => a.localeCompare(b))
        .map((name) => JSON.parse(this.#cache.get(name)!)),
    );
  }

  async put(record: NodeRecord): Promise<void> {
    const json = JSON.stringify(record);
    while (this.#compaction) await this.#compaction.catch(() => {});
    // The first put of a dir without a snapshot (new, or from before the
    // journal) or whose journal is missing starts with one; if that fails,
    // so does the put.
    if (this.#mustCompact) await this.#startCompaction();
    this.#appending++;
    let lines;
    try {
      // One log for all puts (opening it cuts a torn last line); a failed
      // open is retried by the next put.
      this.#log ??= openAppendLog(this.#journalPath(this.#gen)).catch(
        (err) => {
          this.#log = undefined;
          throw err;
        },
      );
      const log = await this.#log;
      await log.append(`${checksum(json)} ${json}`);
      this.#cache.set(record.name, json);
      lines = log.lineCount;
    } finally {
      if (--this.#appending === 0) this.#idle?.resolve();
    }
    if (!this.#compaction && lines >= this.#compactAt) {
      this.#startCompaction().catch(() => {
        // Retried after as many lines again; the journal stays valid.
        this.#compactAt = lines + this.#threshold();
      });
    }
  }

  async close(): Promise<void> {
    while (this.#compaction) await this.#compaction.catch(() => {});
    await this.#drain();
    (await this.#log?.catch(() => undefined))?.close();
  }

  #journalPath(gen: number): string {
    return `${this.#store.dir}/${journalName(gen)}`;
  }

  #threshold(): number {
    return Math.max(this.#compactAfter, this.#cache.size);
  }

  async #drain(): Promise<void> {
    while (this.#appending > 0) {
      this.#idle = Promise.withResolvers();
      await this.#idle.promise;
    }
  }

  /** Run {@link #compact} as the compaction puts wait for. */
  #startCompaction(): Promise<void> {
    const run = this.#compact();
    const tracked = run.finally(() => {
      if (this.#compaction === tracked) this.#compaction = undefined;
    });
    this.#compaction = tracked;
    return run;
  }

  /** Snapshot everything and go on with journal `gen + 1` (puts held back). */
  async #compact(): Promise<void> {
    await this.#drain();
    const gen = this.#gen + 1;
    const next = await openAppendLog(this.#journalPath(gen));
    if (!this.#journals.includes(gen)) this.#journals.push(gen);
    try {
      // Its directory fsync also makes the new journal's entry durable.
      await this.#store.writeUnit(NODES_UNIT, {
        records: enc.encode(`[${[...this.#cache.values()].join(",")}]`),
        journal: enc.encode(String(gen)),
      });
    } catch (err) {
      next.close();
      throw err;
    }
    // The replaced snapshot is now the fallback (`.prev`): keep the
    // journals it needs, from its generation up.
    const keepFrom = this.#snapshotGen ?? gen;
    (await this.#log?.catch(() => undefined))?.close();
    this.#log = Promise.resolve(next);
    this.#gen = gen;
    this.#snapshotGen = gen;
    this.#mustCompact = false;
    this.#compactAt = this.#threshold();
    const stale = [
      ...this.#journals.filter((g) => g < keepFrom).map(journalName),
      ...this.#legacy,
    ];
    this.#journals = this.#journals.filter((g) => g >= keepFrom);
    this.#legacy = [];
    // Leftovers only (never read again): one that cannot be removed now is
    // seen again on the next open and removed by a later compaction.
    for (const name of stale) {
      await this.#store.remove(name).catch(() => {});
    }
  }
}
