/**
 * `edge-runtime hub status` implementation (loaded only when it runs): asks
 * the running hub over its admin socket (`GET /status`, no credential
 * needed) and prints it in plain words or JSON. When no hub answers, it
 * says so and reads what the state dir holds (CA, node counts).
 * @module
 */
import type { ParsedArgs } from "../args.ts";
import type { CliIo } from "../command.ts";
import { fetchAdminStatus } from "../../admin/mod.ts";
import { openStore } from "../../store/mod.ts";
import type { HubConfig } from "../../config/mod.ts";
import type { HubStatus } from "../../hubserver/hub_status.ts";
import { when } from "./_status.ts";
import { readHubCa } from "../../hubserver/ca.ts";
import { StoreNodeRegistry } from "../../hubserver/registry.ts";
import { hubConfigFromArgs } from "./_hub_admin.ts";

/** What `hub status` reports. */
export type HubStatusReport =
  | { running: true; source: string; status: HubStatus & { pid: number } }
  | {
    running: false;
    source: string;
    /** Read from the state dir; absent before the hub first started. */
    ca?: { hash: string; subject: string; notAfter: string };
    nodes?: { active: number; locked: number; revoked: number; total: number };
  };

async function fromStateDir(config: HubConfig): Promise<HubStatusReport> {
  const source =
    `state dir ${config.stateDir} (no hub answers on ${config.admin.socketPath})`;
  try {
    await Deno.stat(config.stateDir);
  } catch {
    return { running: false, source };
  }
  const store = await openStore(config.stateDir);
  const ca = await readHubCa(store, config.ca);
  const nodes = { active: 0, locked: 0, revoked: 0, total: 0 };
  for (const n of await (await StoreNodeRegistry.open(store)).list()) {
    nodes[n.state]++;
    nodes.total++;
  }
  return {
    running: false,
    source,
    ...(ca
      ? {
        ca: {
          hash: ca.hash,
          subject: ca.issuer.cert.subject,
          notAfter: ca.issuer.cert.notAfter.toISOString(),
        },
      }
      : {}),
    nodes,
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function results(counts: Record<string, number>): string {
  const parts = Object.entries(counts).filter(([k, v]) => v > 0 || k === "ok")
    .map(([k, v]) => `${v} ${k.replaceAll("_", " ")}`);
  return parts.join(", ");
}

/** Plain-words rendering of a report. */
export function formatHubStatus(r: HubStatusReport, now = Date.now()): string {
  const rows: [string, string][] = [["source", r.source]];
  if (!r.running) {
    rows.push(["hub", "NOT RUNNING"]);
    if (r.ca) {
      rows.push(["CA hash", r.ca.hash]);
      rows.push([
        "CA",
        `${r.ca.subject}, not after ${when(r.ca.notAfter, now)}`,
      ]);
    } else {
      rows.push(["CA", "none yet (the hub creates it when it first starts)"]);
    }
    if (r.nodes) {
      const n = r.nodes;
      rows.push([
        "nodes",
        `${n.total} (${n.active} active, ${n.locked} locked, ${n.revoked} revoked)`,
      ]);
    }
    return render(rows);
  }
  const s = r.status;
  rows.push([
    "ready",
    s.ready.ready ? "yes" : `NO: ${s.ready.reasons.join("; ")}`,
  ]);
  rows.push(["version", `${s.version}, up since ${s.startedAt}`]);
  rows.push(["trust domain", s.trustDomain]);
  rows.push(["CA hash", s.ca.hash]);
  rows.push([
    "CA",
    `${s.ca.subject}, not after ${when(s.ca.notAfter, now)}` +
    (s.ca.tiers === 2
      ? `; offline root not after ${when(s.ca.rootNotAfter, now)}`
      : ""),
  ]);
  const t = s.tlsCertificate;
  rows.push([
    "TLS cert",
    `serial ${t.serial}, not after ${when(t.notAfter, now)}`,
  ]);
  rows.push([
    "TLS renewal",
    when(t.nextRenewal, now) +
    (t.lastError ? ` — last renewal FAILED: ${t.lastError}` : ""),
  ]);
  const l = s.listeners;
  const up = (x: { address: string; listening: boolean }) =>
    `${x.address} ${x.listening ? "up" : "DOWN"}`;
  rows.push(["enrollment", up(l.enrollment)]);
  rows.push([
    "node links",
    `websocket ${up(l.websocket)}` + (l.quic ? `; quic ${up(l.quic)}` : ""),
  ]);
  rows.push(["admin socket", l.adminSocket]);
  const n = s.nodes;
  rows.push([
    "nodes",
    `${n.total} (${n.active} active, ${n.locked} locked, ${n.revoked} revoked)`,
  ]);
  const k = s.tokens;
  rows.push([
    "join tokens",
    `${k.active} active, ${k.used} used, ${k.revoked} revoked, ${k.expired} expired`,
  ]);
  const transports = Object.keys(s.links.connected);
  const total = transports.reduce(
    (a, x) => a + (s.links.connected[x as "websocket"] ?? 0),
    0,
  );
  const by = (m: Record<string, number | undefined>) =>
    transports.map((x) => `${x} ${m[x] ?? 0}`).join(", ");
  rows.push([
    "connected",
    `${plural(total, "node")} (${by(s.links.connected)})`,
  ]);
  rows.push([
    "since start",
    `connects: ${by(s.links.connects)}; disconnects: ${
      by(s.links.disconnects)
    }`,
  ]);
  const m = s.messages;
  rows.push([
    "messages",
    `${m.receivedFromNodes} received from nodes (${m.duplicatesFromNodes} duplicates); ` +
    (m.sentToNodes === undefined ? "" : `${m.sentToNodes} sent to nodes, `) +
    `${m.pendingToNodes} waiting for their ACK`,
  ]);
  const c = s.counters;
  rows.push(["enrollments", results(c.enrollments)]);
  rows.push(["renewals", results(c.renewals)]);
  rows.push(["intermediates", results(c.intermediates)]);
  rows.push(["rate limited", String(c.rateLimited)]);
  rows.push([
    "CRL",
    `number ${s.crl.number}, ${
      plural(s.crl.revokedSerials, "revoked serial")
    }, next update ${when(s.crl.nextUpdate, now)}`,
  ]);
  rows.push([
    "audit log",
    `${s.audit.path} (${s.audit.linesWritten} lines written since start)`,
  ]);
  return render(rows);
}

function render(rows: [string, string][]): string {
  return rows.map(([k, v]) => `${(k + ":").padEnd(15)}${v}`).join("\n") + "\n";
}

/** Print the status of the hub configured by `--config` / `--state-dir`. */
export async function runHubStatus(
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const config = await hubConfigFromArgs(args);
  const live = await fetchAdminStatus(config.admin.socketPath);
  const report: HubStatusReport = live && live.ca
    ? {
      running: true,
      source: `running hub (pid ${live.pid}, ${config.admin.socketPath})`,
      status: live as unknown as HubStatus & { pid: number },
    }
    : await fromStateDir(config);
  io.stdout(
    args.flags.json
      ? JSON.stringify(report, null, 2) + "\n"
      : formatHubStatus(report),
  );
  return 0;
}
