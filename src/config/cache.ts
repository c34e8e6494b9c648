/**
 * The parsed-config cache: the plain data that the YAML parser made of a
 * configuration file, kept in the state store (unit {@link
 * CONFIG_CACHE_UNIT}) so that the next start of the runtime with the same
 * file needs no YAML parser (loading and running it is ~30–60 ms of a
 * ~250 ms cold start on the development machines).
 *
 * What is cached is only the YAML step. The schema (validation, defaults,
 * `--state-dir`) is applied to the cached data on every load, exactly as to
 * freshly parsed data, so a schema change can never be hidden by the cache.
 * An entry is used only when its key matches: SHA-256 over the cache
 * format, the program version, the YAML library version, the configuration
 * kind and the file's exact text. Data that JSON cannot carry exactly
 * (`.inf`, `.nan`, `-0`, a `__proto__` key, …) is never cached.
 *
 * Entries are written only by the process that holds the state dir's lock
 * (the runtime), through the store: atomic, checksummed, 0600 in a 0700
 * dir owned by this user.
 * @module
 */
import { toHex } from "../bytes.ts";
import { sha256 } from "../digest.ts";
import type { Store } from "../store/mod.ts";
import { VERSION } from "../version.ts";

/** Store unit of the cache. */
export const CONFIG_CACHE_UNIT = "config-cache";

/**
 * The YAML library the parse came from (`deno.lock`'s version of `yaml`;
 * a test keeps them equal): a new parser may read the same text
 * differently.
 */
export const YAML_PARSER = "yaml@2.9.1";

/** Bumped when the cached form or the parse options change. */
const CACHE_FORMAT = "edge-runtime parsed config v1";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The cache key of `text` read as a `kind` configuration (hex SHA-256). */
export function configCacheKey(kind: string, text: string): string {
  const preamble = [CACHE_FORMAT, VERSION, YAML_PARSER, kind].join("\n");
  return toHex(sha256(enc.encode(`${preamble}\n\n${text}`)));
}

/**
 * `raw` as JSON when JSON.parse gives back exactly the same data (plain
 * objects and arrays of strings, finite numbers, booleans and null; no `-0`,
 * no `__proto__` key); otherwise `undefined` (not cacheable).
 */
export function exactJson(raw: unknown): string | undefined {
  const exact = (v: unknown): boolean => {
    if (v === null || typeof v === "string" || typeof v === "boolean") {
      return true;
    }
    if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0);
    if (Array.isArray(v)) {
      return Object.getPrototypeOf(v) === Array.prototype &&
        Object.keys(v).length === v.length && v.every(exact);
    }
    if (typeof v !== "object") return false; // undefined, bigint, function …
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return false; // Map, Date …
    if (Object.getOwnPropertySymbols(v).length > 0) return false;
    return Object.entries(v).every(([k, x]) => k !== "__proto__" && exact(x));
  };
  return exact(raw) ? JSON.stringify(raw) : undefined;
}

/**
 * The cached data for `key` in `store`, or `undefined` (no entry, another
 * key, unreadable). Never throws. Reading needs no lock (the store replaces
 * a unit atomically); a corrupt entry gets the store's usual recovery.
 */
export async function readConfigCache(
  store: Store,
  key: string,
): Promise<{ raw: unknown } | undefined> {
  try {
    const got = await store.readUnit(CONFIG_CACHE_UNIT);
    if (!got || dec.decode(got.members.key) !== key) return undefined;
    return { raw: JSON.parse(dec.decode(got.members.raw)) };
  } catch {
    return undefined;
  }
}

/**
 * Store `json` (from {@link exactJson}) as the cached data for `key`. Call
 * it only while holding the store's lock.
 */
export async function writeConfigCache(
  store: Store,
  key: string,
  json: string,
): Promise<void> {
  await store.writeUnit(CONFIG_CACHE_UNIT, {
    key: enc.encode(key),
    raw: enc.encode(json),
  });
}
