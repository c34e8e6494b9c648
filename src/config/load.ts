/**
 * Reading configuration: {@link loadConfig} (file in, typed config out),
 * {@link loadConfigCached} (the same through the parsed-config cache of
 * `cache.ts`, for the runtime's start) and {@link decodeConfig} (plain data
 * in: `--state-dir`, schema, defaults). The YAML step is `parse.ts`
 * ({@link parseConfig}), imported only when a file has to be parsed, so the
 * runtime's start-up graph holds no YAML library. Validation without
 * throwing is in `check.ts`.
 * @module
 */
import { EdgeError } from "../errors.ts";
import { openStore, type Store } from "../store/mod.ts";
import {
  configCacheKey,
  exactJson,
  readConfigCache,
  writeConfigCache,
} from "./cache.ts";
import { type EdgeConfig, edgeSchema } from "./edge.ts";
import { type HubConfig, hubSchema } from "./hub.ts";
import * as s from "./schema.ts";

/** Which program the configuration is for. */
export type ConfigKind = "edge" | "hub";

/** The configuration type of each {@link ConfigKind}. */
export interface ConfigOf {
  /** The edge runtime on the device. */
  edge: EdgeConfig;
  /** The reference hub. */
  hub: HubConfig;
}

/** The schema of each {@link ConfigKind}. */
export const schemas: { readonly [K in ConfigKind]: s.Field<ConfigOf[K]> } = {
  edge: edgeSchema,
  hub: hubSchema,
};

/** Largest configuration file accepted. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Invalid configuration (code `CONFIG_INVALID`): `errors` lists every
 * problem as `path: message`; the message lists them all.
 */
export class ConfigError extends EdgeError {
  /** Every problem found, in file order where possible. */
  readonly errors: readonly string[];

  /** @param source what was read (file path or "edge configuration"), @param errors problems */
  constructor(source: string, errors: readonly string[]) {
    const n = errors.length;
    super(
      "CONFIG_INVALID",
      `${source} is invalid (${n} problem${n === 1 ? "" : "s"}):\n` +
        errors.map((e) => `  - ${e}`).join("\n"),
    );
    this.name = "ConfigError";
    this.errors = errors;
  }
}

/** Options of {@link parseConfig} and {@link loadConfig}. */
export interface ConfigOptions {
  /** Replaces `stateDir` (e.g. from `--state-dir`); must be absolute. */
  stateDirOverride?: string;
  /** Name used in error messages. @default "<kind> configuration" */
  source?: string;
}

/**
 * Apply `stateDirOverride` and the schema to plain data (what the YAML
 * parser made of a file); pure. Defaults are applied; durations are
 * milliseconds.
 *
 * @throws {ConfigError} code `CONFIG_INVALID` with every problem
 */
export function decodeConfig<K extends ConfigKind>(
  kind: K,
  raw: unknown,
  options: ConfigOptions = {},
): ConfigOf[K] {
  const source = options.source ?? `${kind} configuration`;
  const override = options.stateDirOverride;
  if (override !== undefined) {
    if (!override.startsWith("/")) {
      throw new ConfigError(source, [
        `stateDir (override): expected an absolute path, got ${
          s.describeValue(override)
        }`,
      ]);
    }
    if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
      raw = { ...raw, stateDir: override };
    } else if (raw === null || raw === undefined) raw = { stateDir: override };
  }
  const result = s.validate(schemas[kind], raw);
  if (!result.ok) throw new ConfigError(source, result.errors);
  return result.value;
}

/** The text of the configuration file at `path` (`source` names it in errors). */
async function readConfigText(
  path: string,
): Promise<{ text: string; source: string }> {
  const source = `configuration file ${JSON.stringify(path)}`;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) {
      throw new ConfigError(source, ["(file): expected a regular file"]);
    }
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(source, [
        `(file): expected at most 1 MiB, got ${info.size} bytes`,
      ]);
    }
    return { text: await Deno.readTextFile(path), source };
  } catch (e) {
    if (e instanceof EdgeError) throw e;
    if (e instanceof Deno.errors.NotFound) {
      throw new EdgeError("CONFIG_NOT_FOUND", `${source} not found`, {
        cause: e,
      });
    }
    const reason = e instanceof Error ? e.message : String(e);
    throw new ConfigError(source, [`(file): cannot read: ${reason}`]);
  }
}

/** The YAML step, with the parser loaded on first use. */
async function parseText(text: string, source: string): Promise<unknown> {
  const { parseYaml } = await import("./parse.ts");
  return parseYaml(text, source);
}

/**
 * Read, parse and validate a configuration file.
 *
 * @throws {EdgeError} `CONFIG_NOT_FOUND` naming the path when it does not
 *   exist; `CONFIG_INVALID` ({@link ConfigError}) otherwise
 * @example
 * ```ts
 * const cfg = await loadConfig("hub", "/etc/edge-runtime/hub.yaml");
 * ```
 */
export async function loadConfig<K extends ConfigKind>(
  kind: K,
  path: string,
  options: Omit<ConfigOptions, "source"> = {},
): Promise<ConfigOf[K]> {
  const { text, source } = await readConfigText(path);
  const raw = await parseText(text, source);
  return decodeConfig(kind, raw, { ...options, source });
}

/** A configuration loaded by {@link loadConfigCached}. */
export interface CachedConfig<K extends ConfigKind> {
  /** The validated configuration. */
  config: ConfigOf[K];
  /** `"cache"`: the YAML step came from the state dir; `"parsed"`: from the parser. */
  from: "cache" | "parsed";
  /**
   * Keep this parse in `store` for the next start; resolves to whether it
   * was written. Nothing is written when it came from the cache, when JSON
   * cannot carry it exactly, or when `store` is not the configuration's
   * state dir. Call it only while holding the store's lock.
   */
  saveCache(store: Store): Promise<boolean>;
}

/**
 * {@link loadConfig} through the parsed-config cache (`cache.ts`): when the
 * configuration's state dir holds the YAML parse of this exact file (same
 * kind, program and parser version), the parser is not loaded; the schema
 * and `stateDirOverride` are applied either way, and the errors are the
 * same as {@link loadConfig}'s.
 *
 * The state dir is known only after parsing, so the cache is looked up in
 * `stateDirOverride`, else in the directory of a top-level `stateDir:` line
 * of the text, else in the schema's default; the entry is used only when
 * the resulting configuration names that same directory as its state dir.
 * The lookup never creates a directory and never fails the load.
 *
 * @example
 * ```ts
 * const { config, saveCache } = await loadConfigCached("edge", path);
 * const store = await openStore(config.stateDir);
 * using _lock = await store.lock();
 * await saveCache(store);
 * ```
 */
export async function loadConfigCached<K extends ConfigKind>(
  kind: K,
  path: string,
  options: Omit<ConfigOptions, "source"> & {
    /**
     * Called when the cache misses, before the YAML parser loads (a first
     * start, or a changed file): start-up loads what a first start needs
     * meanwhile.
     */
    onMiss?: () => void;
  } = {},
): Promise<CachedConfig<K>> {
  const { text, source } = await readConfigText(path);
  const opts = { stateDirOverride: options.stateDirOverride, source };
  const key = configCacheKey(kind, text);
  const dir = cacheDir(kind, text, options.stateDirOverride);
  const store = dir === undefined ? undefined : await existingStore(dir);
  const hit = store && await readConfigCache(store, key);
  if (store && hit) {
    const config = decodeConfig(kind, hit.raw, opts);
    if (sameDir(config.stateDir, store.dir)) {
      return { config, from: "cache", saveCache: () => Promise.resolve(false) };
    }
  }
  options.onMiss?.();
  const raw = await parseText(text, source);
  const json = exactJson(raw); // before the schema sees (and could touch) it
  const config = decodeConfig(kind, raw, opts);
  return {
    config,
    from: "parsed",
    async saveCache(target) {
      if (json === undefined || !sameDir(config.stateDir, target.dir)) {
        return false;
      }
      await writeConfigCache(target, key, json);
      return true;
    },
  };
}

/** A top-level `stateDir:` with a plain, single- or double-quoted value. */
const STATE_DIR_LINE =
  /^stateDir:[ \t]*(?:"([^"\\\n]*)"|'([^'\n]*)'|([^\s#'"][^#\n]*?))[ \t]*(?:#.*)?\r?$/m;

/** Where to look for the cache of `text` (see {@link loadConfigCached}). */
function cacheDir(
  kind: ConfigKind,
  text: string,
  override: string | undefined,
): string | undefined {
  if (override !== undefined) return override;
  const m = STATE_DIR_LINE.exec(text);
  const dir = m ? (m[1] ?? m[2] ?? m[3]) : schemas[kind].fields?.stateDir
    ?.defaultRaw;
  return typeof dir === "string" && dir.startsWith("/") ? dir : undefined;
}

/** The store in `dir` if `dir` is an existing, safe state dir. */
async function existingStore(dir: string): Promise<Store | undefined> {
  try {
    if (!(await Deno.stat(dir)).isDirectory) return undefined;
    return await openStore(dir); // checks owner and mode; creates nothing
  } catch {
    return undefined;
  }
}

function sameDir(a: string, b: string): boolean {
  const clean = (d: string) => d.replace(/\/+$/, "") || "/";
  return clean(a) === clean(b);
}
