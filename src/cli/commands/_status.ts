/**
 * `edge-runtime status` implementation (loaded only when the command runs).
 * @module
 */
import type { ParsedArgs } from "../args.ts";
import type { CliIo } from "../command.ts";
import { stringFlag } from "../command.ts";
import { EdgeError } from "../../errors.ts";
import { loadConfig } from "../../config/mod.ts";
import { fetchAdminStatus } from "../../admin/mod.ts";
import {
  type IdentityStatus,
  loadIdentity,
  nodeSpiffeId,
  STATUS_UNIT,
} from "../../identity/mod.ts";
import { openStore } from "../../store/mod.ts";
import type { EdgeConfig } from "../../config/mod.ts";

/** What `status` reports. */
interface StatusReport {
  running: boolean;
  source: string;
  identity: IdentityStatus | {
    phase: "not-enrolled";
    node: string;
    spiffeId: string;
  };
}

async function fromStateDir(config: EdgeConfig): Promise<StatusReport> {
  const source = `state dir ${config.stateDir} (runtime not running)`;
  const base = {
    node: config.node.name,
    spiffeId: nodeSpiffeId(undefined, config.trustDomain, config.node.name),
  };
  try {
    await Deno.stat(config.stateDir);
  } catch {
    return {
      running: false,
      source,
      identity: { phase: "not-enrolled", ...base },
    };
  }
  const store = await openStore(config.stateDir);
  const id = await loadIdentity(store);
  const raw = await store.read(STATUS_UNIT).catch(() => undefined);
  const saved = raw
    ? JSON.parse(new TextDecoder().decode(raw)) as IdentityStatus
    : undefined;
  if (!id) {
    return {
      running: false,
      source,
      identity: { phase: "not-enrolled", ...base },
    };
  }
  const expired = Date.now() >= id.leaf.notAfter.getTime();
  return {
    running: false,
    source,
    identity: {
      ...(saved ?? { failures: 0 }),
      node: config.node.name,
      spiffeId: nodeSpiffeId(id, config.trustDomain, config.node.name),
      phase: saved?.phase === "needs-rebootstrap"
        ? saved.phase
        : expired
        ? "expired"
        : "valid",
      serial: id.leaf.serialHex,
      notBefore: id.leaf.notBefore.toISOString(),
      notAfter: id.leaf.notAfter.toISOString(),
      nextRenewal: undefined,
      upstream: saved?.upstream ?? {
        kind: id.upstream,
        endpoint: id.upstream === "vault"
          ? config.vault.address ?? ""
          : config.hub.httpServer,
      },
    } as IdentityStatus,
  };
}

const PHASE_WORDS: Record<string, string> = {
  "not-enrolled": "not enrolled yet (no node identity in the state dir)",
  "waiting-for-token": "waiting for the join token file",
  enrolling: "enrolling with the upstream",
  valid: "valid",
  renewing: "renewing now",
  retrying: "valid, but the last renewal failed; retrying with backoff",
  expired: "EXPIRED; still trying to renew",
  "needs-rebootstrap":
    "EXPIRED and renewal refused: needs re-bootstrap (put a new join token in identity.tokenFile)",
  stopped: "stopped",
};

/** `ISO (in 3d)` / `ISO (2h ago)`; also used by `hub status`. */
export function when(iso: string | undefined, now: number): string {
  if (!iso) return "—";
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const span = abs >= 86_400_000
    ? `${Math.round(abs / 86_400_000)}d`
    : abs >= 3_600_000
    ? `${Math.round(abs / 3_600_000)}h`
    : abs >= 60_000
    ? `${Math.round(abs / 60_000)}m`
    : `${Math.round(abs / 1000)}s`;
  return `${iso} (${ms >= 0 ? "in " + span : span + " ago"})`;
}

/** Plain-words rendering of a report. */
export function formatStatus(r: StatusReport, now = Date.now()): string {
  const id = r.identity as Partial<IdentityStatus> & { phase: string };
  const up = id.upstream;
  const reach = up?.reachable === undefined
    ? "not contacted yet"
    : up.reachable
    ? "reachable"
    : "UNREACHABLE";
  const rows: [string, string][] = [
    ["source", r.source],
    ["node", id.node ?? "—"],
    ["SPIFFE ID", id.spiffeId ?? "—"],
    ["identity", PHASE_WORDS[id.phase] ?? id.phase],
    ["serial", id.serial ?? "—"],
    ["not after", when(id.notAfter, now)],
    [
      "next renewal",
      r.running ? when(id.nextRenewal, now) : "— (runtime not running)",
    ],
    [
      "last error",
      id.lastError
        ? `${id.lastError.message} [${id.lastError.code}, ${id.lastError.at}]`
        : "none",
    ],
    ["upstream", up ? `${up.kind} ${up.endpoint} — ${reach}` : "—"],
  ];
  return rows.map(([k, v]) => `${(k + ":").padEnd(14)}${v}`).join("\n") + "\n";
}

/** `edge-runtime status`: what a running runtime reports. */

/** Print the status of the runtime configured in `--config`. */
export async function runStatus(args: ParsedArgs, io: CliIo): Promise<number> {
  const path = stringFlag(args, "config");
  if (!path) throw new EdgeError("USAGE", "missing --config FILE");
  const config = await loadConfig("edge", path, {
    stateDirOverride: stringFlag(args, "state-dir"),
  });
  const live = await fetchAdminStatus(config.admin.socketPath);
  const report: StatusReport = live && live.identity
    ? {
      running: true,
      source: `running runtime (pid ${live.pid}, ${config.admin.socketPath})`,
      identity: live.identity as IdentityStatus,
    }
    : await fromStateDir(config);
  io.stdout(
    args.flags.json
      ? JSON.stringify(report, null, 2) + "\n"
      : formatStatus(report),
  );
  return 0;
}
