/**
 * Registration entries: which SPIFFE ID a caller gets, by selectors. One
 * {@link EntryStore} is fed by several sources (static configuration now,
 * the hub later); each source replaces its own set, changes apply at once
 * and watchers (the SVID cache, the streams) are told.
 *
 * @example
 * ```ts
 * const store = new EntryStore("example.org");
 * store.replace("config", [{ spiffeId: "spiffe://example.org/web", selectors: ["unix:uid:1000"] }]);
 * store.list(); // [{ id: "config:0:spiffe://example.org/web", … }]
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";
import { parseSelector, type Selector } from "../config/selector.ts";
import {
  isMemberOf,
  isNodeId,
  isRoot,
  NODE_ID_RESERVED,
  parseSpiffeId,
} from "../spiffeid/mod.ts";

/** A registration entry as given by a source (config, hub). */
export interface EntryInput {
  /** ID unique within the source; defaults to the position and SPIFFE ID. */
  id?: string;
  /** SPIFFE ID under `spiffe://<td>/…` with a path. */
  spiffeId: string;
  /** `type:key:value` selectors; all must match the caller. */
  selectors: readonly string[];
  /** X509-SVID lifetime in ms (the default TTL when absent). */
  ttlMs?: number;
  /** Extra DNS SANs of the X509-SVID. */
  dnsNames?: readonly string[];
  /** Hint returned with the SVID. */
  hint?: string;
}

/** A validated registration entry. */
export interface RegistrationEntry {
  /** `<source>:<id>`, unique in the store. */
  id: string;
  /** Which source it came from. */
  source: string;
  spiffeId: string;
  /** Canonical selector strings. */
  selectors: readonly string[];
  /** Parsed selectors. */
  parsedSelectors: readonly Selector[];
  ttlMs?: number;
  dnsNames?: readonly string[];
  hint?: string;
}

const DNS_NAME =
  /^(?=.{1,253}$)(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function refuse(where: string, message: string): never {
  throw new EdgeError("ENTRY_INVALID", `${where}: ${message}`);
}

/**
 * Validate one entry. Throws `ENTRY_INVALID` naming the field, e.g.
 * `entries[2].selectors[0]: unknown kind "unix:pid"…`.
 */
export function parseRegistrationEntry(
  input: EntryInput,
  trustDomain: string,
  source: string,
  where = "entry",
): RegistrationEntry {
  let id;
  try {
    id = parseSpiffeId(String(input.spiffeId));
  } catch (err) {
    refuse(`${where}.spiffeId`, (err as Error).message);
  }
  if (isRoot(id)) refuse(`${where}.spiffeId`, "a workload ID needs a path");
  if (isNodeId(id)) refuse(`${where}.spiffeId`, NODE_ID_RESERVED);
  if (!isMemberOf(id, trustDomain)) {
    refuse(
      `${where}.spiffeId`,
      `expected a SPIFFE ID in trust domain "${trustDomain}", got ${
        JSON.stringify(input.spiffeId)
      }`,
    );
  }
  if (!Array.isArray(input.selectors) || input.selectors.length === 0) {
    refuse(`${where}.selectors`, "expected at least one selector");
  }
  const parsed = input.selectors.map((text, i) => {
    try {
      return parseSelector(String(text));
    } catch (err) {
      refuse(`${where}.selectors[${i}]`, (err as Error).message);
    }
  });
  if (
    input.ttlMs !== undefined &&
    !(Number.isFinite(input.ttlMs) && input.ttlMs >= 1000)
  ) {
    refuse(`${where}.ttl`, `expected at least 1s, got ${input.ttlMs} ms`);
  }
  input.dnsNames?.forEach((n, i) => {
    if (typeof n !== "string" || !DNS_NAME.test(n)) {
      refuse(
        `${where}.dnsNames[${i}]`,
        `expected a DNS name, got ${JSON.stringify(n)}`,
      );
    }
  });
  const selectors = parsed.map((s) => `${s.type}:${s.key}:${s.value}`);
  const entryId = input.id ??
    `${id.toString()}|${[...new Set(selectors)].sort().join(",")}`;
  return {
    id: `${source}:${entryId}`,
    source,
    spiffeId: id.toString(),
    selectors,
    parsedSelectors: parsed,
    ttlMs: input.ttlMs,
    dnsNames: input.dnsNames ? [...input.dnsNames] : undefined,
    hint: input.hint,
  };
}

/** All registration entries, by source; watchers are told of every change. */
export class EntryStore {
  readonly trustDomain: string;
  #bySource = new Map<string, RegistrationEntry[]>();
  #all: RegistrationEntry[] = [];
  #watchers = new Set<() => void>();

  constructor(trustDomain: string) {
    this.trustDomain = trustDomain;
  }

  /**
   * Replace every entry of `source` (all or nothing: one invalid entry
   * refuses the whole set with `ENTRY_INVALID`). Without explicit IDs an
   * entry's ID is its SPIFFE ID and sorted selectors, so exact duplicates
   * collapse and unchanged entries keep their SVIDs across reloads.
   */
  replace(source: string, inputs: readonly EntryInput[]): void {
    const seen = new Map<string, RegistrationEntry>();
    inputs.forEach((input, i) => {
      const e = parseRegistrationEntry(
        input,
        this.trustDomain,
        source,
        `${source}.entries[${i}]`,
      );
      if (seen.has(e.id) && input.id !== undefined) {
        refuse(
          `${source}.entries[${i}].id`,
          `duplicate entry ID "${input.id}"`,
        );
      }
      seen.set(e.id, e);
    });
    if (seen.size === 0) this.#bySource.delete(source);
    else this.#bySource.set(source, [...seen.values()]);
    this.#all = [...this.#bySource.values()].flat();
    for (const cb of [...this.#watchers]) cb();
  }

  /** Every entry of every source. */
  list(): readonly RegistrationEntry[] {
    return this.#all;
  }

  /** Call `cb` after every change; returns an unsubscribe function. */
  watch(cb: () => void): () => void {
    this.#watchers.add(cb);
    return () => this.#watchers.delete(cb);
  }
}

/**
 * Entries whose selectors are all in `callerSelectors` (the attested set),
 * in store order. Pure.
 */
export function matchEntries(
  entries: readonly RegistrationEntry[],
  callerSelectors: ReadonlySet<string>,
): RegistrationEntry[] {
  return entries.filter((e) =>
    e.selectors.every((s) => callerSelectors.has(s))
  );
}
