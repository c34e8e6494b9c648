/**
 * Benchmark helper: a hub in its own process (as in production), with a
 * counting sink. Usage:
 * - `_hub_process.ts DIR [--ports WS,QUIC] NODE…` enrolls each NODE (unless
 *   its state store `<dir>/<node>` already holds an identity: a restart) and
 *   saves its identity there;
 * - `_hub_process.ts DIR --many N` enrolls `sim-0 … sim-<N-1>` and writes
 *   their PEM credentials to `<dir>/identities.json`.
 *
 * Then prints one JSON line `{"wsPort", "quicPort", "pid", "listeningAt"}`
 * (`listeningAt`: wall-clock ms, fractional, when the listeners were up —
 * before any enrollment), and `{"received": n}` every 10,000 messages. Stops
 * on SIGTERM; for a line `gc` on stdin collects garbage (needs
 * `--v8-flags=--expose-gc`) and prints `{"gc": true, "heapUsed", "external"}`
 * (bytes). `--ports` fixes the ports (to restart a hub on
 * the same ones).
 * @module
 */
import {
  identityPem,
  loadIdentity,
  saveIdentity,
} from "../../src/identity/mod.ts";
import { openStore } from "../../src/store/mod.ts";
import { enrollNode, startLinkHub } from "../../tests/hublink/_harness.ts";

const [dir, ...rest] = Deno.args;
let ports: { wsPort?: number; quicPort?: number } = {};
if (rest[0] === "--ports") {
  const [ws, quic] = rest[1].split(",").map(Number);
  ports = { wsPort: ws, quicPort: quic };
  rest.splice(0, 2);
}
let received = 0;
const h = await startLinkHub({
  dir,
  ...ports,
  extraConfig:
    "enroll:\n  rateLimit:\n    perSourcePerMinute: 0\n    perNodePerMinute: 0\n",
  hubOptions: {
    onNodeMessage: () => {
      if (++received % 10_000 === 0) console.log(JSON.stringify({ received }));
    },
  },
});
const listeningAt = performance.timeOrigin + performance.now();
if (rest[0] === "--many") {
  const n = Number(rest[1]);
  const out = [];
  for (let i = 0; i < n; i += 16) {
    out.push(
      ...await Promise.all(
        Array.from({ length: Math.min(16, n - i) }, async (_, j) => {
          const node = `sim-${i + j}`;
          return {
            node,
            ...(await identityPem(await enrollNode(h.hub, node))),
          };
        }),
      ),
    );
  }
  await Deno.writeTextFile(`${dir}/identities.json`, JSON.stringify(out));
} else {
  for (const node of rest) {
    const store = await openStore(`${dir}/${node}`);
    if (await loadIdentity(store)) continue;
    await saveIdentity(store, await enrollNode(h.hub, node));
  }
}
console.log(
  JSON.stringify({
    wsPort: h.wsPort,
    quicPort: h.quicPort,
    pid: Deno.pid,
    listeningAt,
  }),
);
// A line "gc" on stdin: collect garbage (with --v8-flags=--expose-gc), then
// say so.
(async () => {
  for await (
    const line of Deno.stdin.readable.pipeThrough(new TextDecoderStream())
  ) {
    if (line.includes("gc")) {
      (globalThis as { gc?: () => void }).gc?.();
      const { heapUsed, external } = Deno.memoryUsage();
      console.log(JSON.stringify({ gc: true, heapUsed, external }));
    }
  }
})();
await new Promise<void>((r) => Deno.addSignalListener("SIGTERM", r));
await h.stop();
Deno.exit(0);
