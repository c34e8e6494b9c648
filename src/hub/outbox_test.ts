import { assert, assertEquals } from "../../tests/_fixtures/assert.ts";
import { decodeMessage, newMessage } from "../message/mod.ts";
import type { Store } from "../store/mod.ts";
import { Outbox } from "./outbox.ts";

const storeIn = async (): Promise<Store> =>
  ({ dir: await Deno.makeTempDir() }) as Store;
const msg = (i: number, id?: string) =>
  newMessage({ operation: "publish", resource: "t" }, { i }, { id });

Deno.test("put() resolves once durable; messages put together share one promise and reach watchers as one group, in order", async () => {
  const outbox = await Outbox.open(await storeIn());
  const groups: number[][] = [];
  outbox.watch((added) => groups.push(added.map((e) => e.seq)));
  const first = outbox.put(msg(0));
  const rest = Array.from({ length: 5 }, (_, i) => outbox.put(msg(i + 1)));
  assert(rest.every((p) => p === rest[0]), "one group commit");
  await Promise.all([first, ...rest]);
  assertEquals(groups, [[1], [2, 3, 4, 5, 6]]);
  assertEquals(
    outbox.entries().map((e) => decodeMessage(e.text).content),
    [
      ...Array(6).keys(),
    ].map((i) => ({ i })),
  );
  await outbox.close();
});

Deno.test("a message id put again while its first put is being written shares that write and is queued once", async () => {
  const outbox = await Outbox.open(await storeIn());
  await outbox.put(msg(0)); // the next puts wait for a write together
  const a = outbox.put(msg(1, "same"));
  const b = outbox.put(msg(2, "same"));
  assert(a === b);
  await b;
  await outbox.put(msg(3, "same")); // durable already: nothing new
  assertEquals(outbox.size, 2);
  assertEquals(outbox.status().accepted, 2);
  await outbox.close();
});

Deno.test("while the file is compacted under load, groups still arrive in seq order and everything unacknowledged survives a reopen", async () => {
  const store = await storeIn();
  let outbox = await Outbox.open(store, {
    compactAfter: 64,
    maxMessages: 100_000,
  });
  let last = 0;
  let ordered = true;
  outbox.watch((added) => {
    for (const e of added) {
      ordered &&= e.seq > last;
      last = e.seq;
    }
  });
  const unacked: number[] = [];
  let n = 0;
  for (let round = 0; round < 40; round++) {
    const puts = Array.from({ length: 25 }, () => outbox.put(msg(n++)));
    await Promise.all(puts);
    for (const e of outbox.entries()) {
      if ((decodeMessage(e.text).content as { i: number }).i % 25 !== 0) {
        outbox.ack(e.id);
      }
    }
    unacked.push(n - 25);
  }
  assert(ordered, "groups in seq order");
  assertEquals(
    outbox.entries().map((e) =>
      (decodeMessage(e.text).content as { i: number }).i
    ),
    unacked,
  );
  await outbox.close();
  outbox = await Outbox.open(store);
  assertEquals(
    outbox.entries().map((e) =>
      (decodeMessage(e.text).content as { i: number }).i
    ),
    unacked,
  );
  await outbox.close();
});
