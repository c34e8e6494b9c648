/**
 * Benchmark helper: a hub in its own process (as in production), with a
 * counting sink. Usage: `_hub_process.ts DIR NODE…` enrolls each NODE and
 * saves its identity in `<dir>/<node>` (state store);
 * `_hub_process.ts DIR --many N` enrolls `sim-0 … sim-<N-1>` and writes their
 * PEM credentials to `<dir>/identities.json`. Then prints one JSON line
 * `{"wsPort", "quicPort", "pid"}`, and `{"received": n}` every 10,000
 * messages. Stops on SIGTERM.
 * @module
 */
import { identityPem, saveIdentity } from "../../src/identity/mod.ts";
import { openStore } from "../../src/store/mod.ts";
import { enrollNode, startLinkHub } from "../../tests/hublink/_harness.ts";

const [dir, ...rest] = Deno.args;
let received = 0;
const h = await startLinkHub({
  dir,
  extraConfig:
    "enroll:\n  rateLimit:\n    perSourcePerMinute: 0\n    perNodePerMinute: 0\n",
  hubOptions: {
    onNodeMessage: () => {
      if (++received % 10_000 === 0) console.log(JSON.stringify({ received }));
    },
  },
});
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
    await saveIdentity(
      await openStore(`${dir}/${node}`),
      await enrollNode(h.hub, node),
    );
  }
}
console.log(
  JSON.stringify({ wsPort: h.wsPort, quicPort: h.quicPort, pid: Deno.pid }),
);
await new Promise<void>((r) => Deno.addSignalListener("SIGTERM", r));
await h.stop();
Deno.exit(0);
