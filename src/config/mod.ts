/**
 * Configuration: YAML files for the edge runtime and the hub, validated
 * against schemas with defaults applied.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./mod.ts";
 * const cfg = await loadConfig("edge", "/etc/edge-runtime/edge.yaml");
 * cfg.node.name;
 * ```
 * @module
 */
export {
  checkConfig,
  checkConfigFile,
  type CheckConfigFileResult,
  type CheckConfigResult,
  detectConfigKind,
} from "./check.ts";
export {
  type CachedConfig,
  ConfigError,
  type ConfigKind,
  type ConfigOf,
  type ConfigOptions,
  decodeConfig,
  loadConfig,
  loadConfigCached,
  schemas,
} from "./load.ts";
export { parseConfig, parseYaml } from "./parse.ts";
export { CONFIG_CACHE_UNIT } from "./cache.ts";
export { type EdgeConfig, edgeSchema } from "./edge.ts";
export { type HubConfig, hubSchema } from "./hub.ts";
export {
  DurationSyntaxError,
  formatDuration,
  parseDuration,
} from "./duration.ts";
export { type HostPort, isIp, isLoopback, parseHostPort } from "./net.ts";
export { parseSelector, type Selector, SELECTOR_KINDS } from "./selector.ts";
