/**
 * Child process for the registry crash test: opens the registry in DIR with
 * a small compaction threshold and puts records in a loop, cycling through
 * 40 nodes; after each put resolves (durable) it prints `<node> <seq>`.
 * Starts from the highest `lastSeen` already in the registry. Killed by the
 * test with SIGKILL at a random moment.
 * @module
 */
import { StoreNodeRegistry } from "../../src/hubserver/mod.ts";
import { openStore } from "../../src/store/mod.ts";

const store = await openStore(Deno.args[0]);
const registry = await StoreNodeRegistry.open(store, { compactAfter: 25 });
let seq = Math.max(0, ...(await registry.list()).map((r) => r.lastSeen)) + 1;
const out = new TextEncoder();
console.log("ready");
// Four puts in flight at once (group commit), as concurrent enrollments do.
await Promise.all(Array.from({ length: 4 }, async () => {
  for (;;) {
    const n = seq++;
    const name = `n${n % 40}`;
    await registry.put({
      name,
      state: "active",
      enrolledAt: 0,
      lastSeen: n,
      certs: [],
      usedTokens: [{ id: `t${n}`, usedAt: n }],
    });
    Deno.stdout.writeSync(out.encode(`${name} ${n}\n`));
  }
}));
