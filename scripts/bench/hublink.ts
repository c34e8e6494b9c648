/**
 * Hub-link benchmark, with the hub in its own process (`_hub_process.ts`, as
 * deployed) and the runtime's link in this one:
 * - messages/s on one link with the durable outbox on (publish → fsynced →
 *   sent → hub: seen log fsynced → sink → ACK → removed), over WebSocket
 *   and QUIC: `hublink.ws.rate`, `hublink.quic.rate`;
 * - reconnect time after a real hub process restart (SIGTERM, a new hub
 *   process on the same ports and state), from the new hub listening to the
 *   link up, with the default reconnect backoff (1 s → 60 s, full jitter):
 *   median of the restarts, `hublink.ws.reconnect`, `hublink.quic.reconnect`.
 *
 * Run: `npx -y deno@2.9.6 run --allow-all --unstable-net
 * scripts/bench/hublink.ts [N=50000] [websocket,quic] [RESTARTS=5]`.
 * `HUBLINK_HUB_FLAGS="--cpu-prof --cpu-prof-dir=DIR"` passes more flags to
 * the hub process (profiling).
 * @module
 */
import { IdentityEvents, loadIdentity } from "../../src/identity/mod.ts";
import { type HubLink, startHubLink } from "../../src/hub/mod.ts";
import { newMessage } from "../../src/message/mod.ts";
import { openStore } from "../../src/store/mod.ts";
import {
  edgeConfig,
  freePort,
  freeUdpPort,
  waitFor,
} from "../../tests/hublink/_harness.ts";
import { report } from "./_report.ts";

const N = Number(Deno.args[0] ?? 50_000);
const kinds = (Deno.args[1] ?? "websocket,quic").split(",") as (
  | "websocket"
  | "quic"
)[];
const RESTARTS = Number(Deno.args[2] ?? 5);
const short = { websocket: "ws", quic: "quic" } as const;
const wallNow = () => performance.timeOrigin + performance.now();

/** CPU time (user + system) of process `pid` so far, ms (Linux). */
function cpuMs(pid: number | "self"): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10; // USER_HZ = 100
}

interface HubProcess {
  child: Deno.ChildProcess;
  /** Wall-clock ms when its listeners were up. */
  listeningAt: number;
  stop(): Promise<void>;
}

/** Start `_hub_process.ts` on fixed ports; resolves once it printed its ports. */
async function startHub(
  dir: string,
  ports: string,
  nodes: string[],
): Promise<HubProcess> {
  const extra = (Deno.env.get("HUBLINK_HUB_FLAGS") ?? "").split(/\s+/)
    .filter(Boolean);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--unstable-net",
      ...extra,
      new URL("./_hub_process.ts", import.meta.url).pathname,
      dir,
      "--ports",
      ports,
      ...nodes,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  while (!buf.includes("\n")) {
    const r = await lines.read();
    if (r.done) throw new Error("the hub process ended");
    buf += r.value;
  }
  const info = JSON.parse(buf.split("\n")[0]);
  (async () => {
    while (!(await lines.read()).done) { /* drain */ }
  })();
  return {
    child,
    listeningAt: info.listeningAt,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

const telemetry = (i: number) =>
  newMessage({
    source: "bench",
    group: "user",
    operation: "publish",
    resource: "telemetry",
  }, { i });

/**
 * Publish `n` messages with at most `window` waiting to be durable at a time
 * (like that many local senders each waiting for its 202); resolves when all
 * are durable.
 */
function publishAll(link: HubLink, n: number, window = 1000): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0, waiting = 0, done = 0;
    const more = () => {
      while (waiting < window && next < n) {
        waiting++;
        link.publish(telemetry(next++)).then(() => {
          waiting--;
          if (++done === n) resolve();
          else more();
        }, reject);
      }
    };
    more();
  });
}

const dir = await Deno.makeTempDir({ prefix: "edge-hublink-bench-" });
const ports = `${freePort()},${freeUdpPort()}`;
const [wsPort, quicPort] = ports.split(",").map(Number);
let hub = await startHub(dir, ports, kinds.map((k) => `px-${k}`));
try {
  for (const transport of kinds) {
    const node = `px-${transport}`;
    const store = await openStore(`${dir}/${node}`);
    const identity = new IdentityEvents();
    await identity.publish((await loadIdentity(store))!);
    const link = await startHubLink({
      config: edgeConfig(
        dir,
        node,
        wsPort,
        `  transport: ${transport}\n  outbox:\n    maxMessages: 1000000\n`,
        quicPort,
        { initialDelay: "1s", maxDelay: "60s" },
      ),
      identity,
      store,
    });
    try {
      await waitFor(() => link.status().state === "connected", "link", 30_000);
      // Warm-up (JIT, buffers), not measured.
      await publishAll(link, Math.min(2_000, N));
      await waitFor(() => link.outbox.size === 0, "warm-up ACKs", 60_000);

      const cpu0 = [cpuMs("self"), cpuMs(hub.child.pid)];
      const t0 = performance.now();
      await publishAll(link, N);
      const durableMs = performance.now() - t0;
      await waitFor(() => link.outbox.size === 0, "all ACKs", 300_000);
      const totalMs = performance.now() - t0;
      const rate = N / totalMs * 1000;
      const perMsg = (ms: number) => (ms * 1000 / N).toFixed(1);
      console.log(
        `${transport}: ${N} messages durable in ${durableMs.toFixed(0)} ms, ` +
          `delivered + ACKed in ${totalMs.toFixed(0)} ms: ${
            rate.toFixed(0)
          } msg/s; CPU per message: runtime ${
            perMsg(cpuMs("self") - cpu0[0])
          } µs, hub ${perMsg(cpuMs(hub.child.pid) - cpu0[1])} µs`,
      );
      report(`hublink.${short[transport]}.rate`, Math.round(rate), "/s");

      const times: number[] = [];
      for (let r = 0; r < RESTARTS; r++) {
        const down = wallNow();
        await hub.stop();
        await waitFor(() => link.status().state !== "connected", "down");
        hub = await startHub(dir, ports, []);
        await new Promise<void>((resolve) => {
          const poll = () =>
            link.status().state === "connected"
              ? resolve()
              : setTimeout(poll, 1);
          poll();
        });
        const ms = wallNow() - hub.listeningAt;
        times.push(ms);
        console.log(
          `${transport}: hub down ${
            (hub.listeningAt - down).toFixed(0)
          } ms; link up ${ms.toFixed(0)} ms after the new hub listened`,
        );
      }
      if (times.length > 0) {
        times.sort((a, b) => a - b);
        const median = times[Math.floor(times.length / 2)];
        console.log(
          `${transport}: reconnect after a hub process restart: median ${
            median.toFixed(0)
          } ms, max ${times.at(-1)!.toFixed(0)} ms (${times.length} restarts)`,
        );
        report(
          `hublink.${short[transport]}.reconnect`,
          Math.round(median),
          "ms",
        );
      }
    } finally {
      await link.close();
    }
  }
} finally {
  await hub.stop().catch(() => {});
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
Deno.exit(0);
