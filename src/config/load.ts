/**
 * Reading configuration: {@link parseConfig} (pure, YAML text in, typed
 * config out), {@link loadConfig} (the only function touching the
 * filesystem). Validation without throwing is in `check.ts`.
 * @module
 */
import YAML from "yaml";
import { EdgeError } from "../errors.ts";
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

function yamlErrors(doc: YAML.Document): string[] {
  return doc.errors.map((e) => {
    const text = e.message.split(" at line ")[0];
    const pos = e.linePos?.[0];
    return pos ? `line ${pos.line}, column ${pos.col}: ${text}` : text;
  });
}

/** Options of {@link parseConfig} and {@link loadConfig}. */
export interface ConfigOptions {
  /** Replaces `stateDir` (e.g. from `--state-dir`); must be absolute. */
  stateDirOverride?: string;
  /** Name used in error messages. @default "<kind> configuration" */
  source?: string;
}

/**
 * Parse and validate YAML text; pure. Defaults are applied; durations are
 * milliseconds.
 *
 * @throws {ConfigError} code `CONFIG_INVALID` with every problem (YAML
 *   syntax errors carry line and column)
 * @example
 * ```ts
 * const cfg = parseConfig("edge", "node:\n  name: pi-1\n");
 * cfg.hub.heartbeat; // 15000
 * ```
 */
export function parseConfig<K extends ConfigKind>(
  kind: K,
  yamlText: string,
  options: ConfigOptions = {},
): ConfigOf[K] {
  const source = options.source ?? `${kind} configuration`;
  const doc = YAML.parseDocument(yamlText, {
    uniqueKeys: true,
    prettyErrors: true,
  });
  if (doc.errors.length > 0) throw new ConfigError(source, yamlErrors(doc));
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ConfigError(source, [
      `YAML: ${e instanceof Error ? e.message : e}`,
    ]);
  }
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
  const source = `configuration file ${JSON.stringify(path)}`;
  let text: string;
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
    text = await Deno.readTextFile(path);
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
  return parseConfig(kind, text, { ...options, source });
}
