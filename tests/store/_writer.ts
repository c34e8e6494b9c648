/**
 * Child process of `crash_test.ts`: takes the store lock, prints "ready", then
 * rewrites the two-member unit "identity" in a tight loop until killed. Both
 * members carry the same generation N and a padding of random length so the
 * kill lands at every stage of a write.
 *
 * Usage: deno run -A tests/store/_writer.ts <state-dir>
 * @module
 */
import { openStore } from "../../src/store/mod.ts";
import { generationOf, member } from "./_generation.ts";

const dir = Deno.args[0];
const store = await openStore(dir);
await store.lock(); // held until the kill; also clears temp files of the last kill
const last = await store.readUnit("identity");
let gen = last ? generationOf(last.members) : 0;
await Deno.stdout.write(new TextEncoder().encode("ready\n"));
for (;;) {
  gen++;
  const pad = Math.floor(Math.random() * 256 * 1024);
  await store.writeUnit("identity", {
    key: member("key", gen, pad),
    cert: member("cert", gen, 1 + (pad >> 3)),
  });
}
