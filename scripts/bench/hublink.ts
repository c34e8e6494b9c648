/**
 * Hub-link benchmark: messages/s on one link with the durable outbox on
 * (publish → fsynced → sent → hub sink → seen log fsynced → ACK → removed),
 * over WebSocket and over QUIC, and the reconnect time after a hub restart.
 * Throughput is measured twice: hub in this process (one JS thread does both
 * ends) and hub in its own process (`_hub_process.ts`, as deployed).
 * Run: `npx -y deno@2.9.6 run --allow-all --unstable-net
 * scripts/bench/hublink.ts [N] [websocket,quic]`.
 * @module
 */
import { IdentityEvents } from "../../src/identity/mod.ts";
import { startHubLink } from "../../src/hub/mod.ts";
import { newMessage } from "../../src/message/mod.ts";
import { loadIdentity } from "../../src/identity/mod.ts";
import { openStore } from "../../src/store/mod.ts";
import {
  edgeConfig,
  enrollNode,
  startLinkHub,
  waitFor,
} from "../../tests/hublink/_harness.ts";

const N = Number(Deno.args[0] ?? 50_000);
const kinds = (Deno.args[1] ?? "websocket,quic").split(",");
const h = await startLinkHub();
let received = 0;
h.received.push = (..._items) => ++received; // count only, keep memory flat

for (const transport of kinds) {
  received = 0;
  const node = `pi-${transport}`;
  const store = await openStore(`${h.dir}/${node}`);
  const identity = new IdentityEvents();
  await identity.publish(await enrollNode(h.hub, node));
  const link = await startHubLink({
    config: edgeConfig(
      h.dir,
      node,
      h.wsPort,
      `  transport: ${transport}\n  outbox:\n    maxMessages: 1000000\n`,
      h.quicPort,
    ),
    identity,
    store,
  });
  await waitFor(() => link.status().state === "connected", "link");

  const t0 = performance.now();
  const batch = 1000;
  for (let i = 0; i < N; i += batch) {
    await Promise.all(
      Array.from(
        { length: Math.min(batch, N - i) },
        (_, j) =>
          link.publish(newMessage({
            source: "bench",
            group: "user",
            operation: "publish",
            resource: "telemetry",
          }, { i: i + j })),
      ),
    );
  }
  const durableMs = performance.now() - t0;
  await waitFor(() => link.outbox.size === 0, "all ACKs", 300_000);
  const totalMs = performance.now() - t0;
  console.log(
    `${transport}: ${N} messages durable in ${durableMs.toFixed(0)} ms ` +
      `(${(N / durableMs * 1000).toFixed(0)}/s), delivered+ACKed in ${
        totalMs.toFixed(0)
      } ms (${
        (N / totalMs * 1000).toFixed(0)
      } msg/s); hub sink saw ${received}`,
  );

  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    await h.stop();
    await waitFor(() => link.status().state !== "connected", "down");
    const t = performance.now();
    await h.restart();
    await waitFor(() => link.status().state === "connected", "up");
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${transport}: reconnect after hub restart (backoff 100ms..500ms): median ${
      times[2].toFixed(0)
    } ms, max ${times[4].toFixed(0)} ms (from hub listening)`,
  );
  await link.close();
}
await h.stop();

// The hub in its own process.
const dir = await Deno.makeTempDir({ prefix: "edge-hublink-bench-" });
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-all",
    "--unstable-net",
    new URL("./_hub_process.ts", import.meta.url).pathname,
    dir,
    ...kinds.map((k) => `px-${k}`),
  ],
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
const ports = JSON.parse(buf.split("\n")[0]);
(async () => {
  while (!(await lines.read()).done) { /* drain */ }
})();
for (const transport of kinds) {
  const node = `px-${transport}`;
  const store = await openStore(`${dir}/${node}`);
  const identity = new IdentityEvents();
  await identity.publish((await loadIdentity(store))!);
  const link = await startHubLink({
    config: edgeConfig(
      dir,
      node,
      ports.wsPort,
      `  transport: ${transport}\n  outbox:\n    maxMessages: 1000000\n`,
      ports.quicPort,
    ),
    identity,
    store,
  });
  await waitFor(() => link.status().state === "connected", "link");
  const t0 = performance.now();
  for (let i = 0; i < N; i += 1000) {
    await Promise.all(
      Array.from(
        { length: Math.min(1000, N - i) },
        (_, j) =>
          link.publish(newMessage({
            source: "bench",
            group: "user",
            operation: "publish",
            resource: "telemetry",
          }, { i: i + j })),
      ),
    );
  }
  await waitFor(() => link.outbox.size === 0, "all ACKs", 300_000);
  const totalMs = performance.now() - t0;
  console.log(
    `${transport}, hub in its own process: ${N} messages delivered+ACKed in ${
      totalMs.toFixed(0)
    } ms (${(N / totalMs * 1000).toFixed(0)} msg/s)`,
  );
  await link.close();
}
child.kill("SIGTERM");
await child.status;
await Deno.remove(dir, { recursive: true }).catch(() => {});
