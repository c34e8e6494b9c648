/**
 * Shared by the hub-side commands (`token`, `node`, `hub ca-hash`): load the
 * hub configuration from `--config` (or defaults with `--state-dir`), and
 * call the running hub's admin API with the credential from its state dir.
 * @module
 */
import type { ParsedArgs } from "../args.ts";
import { stringFlag } from "../command.ts";
import { EdgeError } from "../../errors.ts";
import { type HubConfig, loadConfig, parseConfig } from "../../config/mod.ts";
import { openStore } from "../../store/mod.ts";
import { adminRequest, readAdminCredential } from "../../hubserver/mod.ts";

/** The hub config named by `--config` / `--state-dir`. */
export async function hubConfigFromArgs(args: ParsedArgs): Promise<HubConfig> {
  const path = stringFlag(args, "config");
  const stateDir = stringFlag(args, "state-dir");
  if (path) {
    return await loadConfig("hub", path, { stateDirOverride: stateDir });
  }
  if (stateDir) return parseConfig("hub", "", { stateDirOverride: stateDir });
  throw new EdgeError(
    "USAGE",
    "missing --config HUB_FILE (or --state-dir DIR for the hub's defaults)",
  );
}

/** Call the running hub's admin API. */
export async function callAdmin<T>(
  args: ParsedArgs,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<T> {
  const config = await hubConfigFromArgs(args);
  const store = await openStore(config.stateDir);
  const credential = await readAdminCredential(store);
  if (!credential) {
    throw new EdgeError(
      "HUB_UNAVAILABLE",
      `No admin credential in state dir "${config.stateDir}": start "edge-runtime hub" with this config first`,
    );
  }
  return await adminRequest<T>({
    socketPath: config.admin.socketPath,
    credential,
    method,
    path,
    body,
  });
}

/** Format ms since the epoch (or undefined) for tables. */
export function isoOrDash(ms: number | undefined): string {
  return ms === undefined
    ? "-"
    : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Render rows as aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length))
  );
  return rows.map((r) =>
    r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()
  )
    .join("\n") + "\n";
}
