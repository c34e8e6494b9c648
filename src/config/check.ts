/**
 * Checking a configuration file without throwing, for the CLI's
 * `check-config`: {@link checkConfig} (kind known) and
 * {@link checkConfigFile} (kind optional, detected from top-level keys).
 * @module
 */
import YAML from "yaml";
import { EdgeError } from "../errors.ts";
import { ConfigError, type ConfigKind, loadConfig } from "./load.ts";

/** Outcome of {@link checkConfig}. */
export type CheckConfigResult = { ok: true } | { ok: false; errors: string[] };

/**
 * Validate a configuration file of a known kind; never throws for bad or
 * missing files.
 *
 * @example
 * ```ts
 * const r = await checkConfig("edge", "edge.yaml");
 * if (!r.ok) console.error(r.errors.join("\n"));
 * ```
 */
export async function checkConfig(
  kind: ConfigKind,
  path: string,
  options: { stateDirOverride?: string } = {},
): Promise<CheckConfigResult> {
  try {
    await loadConfig(kind, path, options);
    return { ok: true };
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, errors: [...e.errors] };
    if (e instanceof EdgeError) return { ok: false, errors: [e.message] };
    throw e;
  }
}

const ONLY: Record<ConfigKind, readonly string[]> = {
  edge: ["node", "identity", "hub", "vault", "workloadApi", "sinks"],
  hub: ["ca", "enroll", "tokens", "websocket", "quic"],
};

/**
 * Guess the kind from top-level keys found only in one schema; `undefined`
 * when there are none or as many of each.
 *
 * @example
 * ```ts
 * detectConfigKind("ca:\n  mode: generate\n"); // "hub"
 * ```
 */
export function detectConfigKind(yamlText: string): ConfigKind | undefined {
  let raw: unknown;
  try {
    raw = YAML.parse(yamlText);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return undefined;
  }
  const keys = Object.keys(raw);
  const edge = keys.filter((k) => ONLY.edge.includes(k)).length;
  const hub = keys.filter((k) => ONLY.hub.includes(k)).length;
  return edge === hub ? undefined : edge > hub ? "edge" : "hub";
}

/** Outcome of {@link checkConfigFile}; `kind` is what it was checked as. */
export type CheckConfigFileResult =
  | { ok: true; kind: ConfigKind }
  | { ok: false; errors: string[]; kind?: ConfigKind };

/**
 * Validate a file as `options.kind`, or as the kind detected from its
 * top-level keys; with no clue, the kind that validates wins (edge first),
 * else the edge errors are returned.
 *
 * @example
 * ```ts
 * const r = await checkConfigFile("/etc/edge-runtime/hub.yaml");
 * r.ok ? console.log(`OK (${r.kind})`) : console.error(r.errors.join("\n"));
 * ```
 */
export async function checkConfigFile(
  path: string,
  options: { kind?: ConfigKind; stateDirOverride?: string } = {},
): Promise<CheckConfigFileResult> {
  const { kind, ...rest } = options;
  if (kind !== undefined) {
    return withKind(kind, await checkConfig(kind, path, rest));
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    const r = await checkConfig("edge", path, rest); // reports the read error
    return r.ok ? { ok: true, kind: "edge" } : { ok: false, errors: r.errors };
  }
  const detected = detectConfigKind(text);
  if (detected) {
    return withKind(detected, await checkConfig(detected, path, rest));
  }
  const edge = await checkConfig("edge", path, rest);
  if (edge.ok) return { ok: true, kind: "edge" };
  const hub = await checkConfig("hub", path, rest);
  return hub.ok ? { ok: true, kind: "hub" } : { ...edge, kind: "edge" };
}

function withKind(
  kind: ConfigKind,
  r: CheckConfigResult,
): CheckConfigFileResult {
  return r.ok ? { ok: true, kind } : { ok: false, errors: r.errors, kind };
}
