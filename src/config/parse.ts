/**
 * YAML text → configuration: {@link parseYaml} (the YAML step alone) and
 * {@link parseConfig} (YAML, then the schema). The only module of the
 * configuration that loads the `yaml` library; `load.ts` imports it when a
 * file has to be parsed, so a start with a cached parse (see `cache.ts`)
 * never loads it.
 * @module
 */
import YAML from "yaml";
import {
  ConfigError,
  type ConfigKind,
  type ConfigOf,
  type ConfigOptions,
  decodeConfig,
} from "./load.ts";

function yamlErrors(doc: YAML.Document): string[] {
  return doc.errors.map((e) => {
    const text = e.message.split(" at line ")[0];
    const pos = e.linePos?.[0];
    return pos ? `line ${pos.line}, column ${pos.col}: ${text}` : text;
  });
}

/**
 * The plain data of YAML text (keys must be unique, at most 100 alias
 * expansions), before any schema is applied.
 *
 * @throws {ConfigError} code `CONFIG_INVALID` naming `source`; syntax errors
 *   carry line and column
 */
export function parseYaml(yamlText: string, source: string): unknown {
  const doc = YAML.parseDocument(yamlText, {
    uniqueKeys: true,
    prettyErrors: true,
  });
  if (doc.errors.length > 0) throw new ConfigError(source, yamlErrors(doc));
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ConfigError(source, [
      `YAML: ${e instanceof Error ? e.message : e}`,
    ]);
  }
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
  return decodeConfig(kind, parseYaml(yamlText, source), {
    ...options,
    source,
  });
}
