/**
 * The seen log at capacity (every new ID forgets the oldest):
 * `deno bench --allow-all src/store/seen_log_bench.ts`. Before the FIFO of
 * adds, forgetting the oldest ID walked a Map iterator past every ID
 * deleted since the table was last rebuilt: ~24 µs per add at 100,000 IDs.
 * @module
 */
import { openSeenLog } from "./seen_log.ts";

const CAPACITY = 100_000;
const dir = await Deno.makeTempDir({ prefix: "seen-bench-" });
const seen = await openSeenLog(`${dir}/seen`, { capacity: CAPACITY });
for (let i = 0; i < CAPACITY; i++) seen.addNew(`warm-${i}`);
await seen.synced();
let n = 0;

Deno.bench("seen log: addNew of a new ID at capacity (100,000)", () => {
  seen.addNew(`id-${n++}`);
});

Deno.bench("seen log: addNew of a known ID", () => {
  seen.addNew(`id-${n - 1}`);
});

globalThis.addEventListener("unload", () => {
  Deno.removeSync(dir, { recursive: true });
});
