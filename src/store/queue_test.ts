import {
  assert,
  assertEquals,
  assertRejects,
} from "../../tests/_fixtures/assert.ts";
import { isEdgeError } from "../errors.ts";
import { openQueue } from "./queue.ts";
import { openSeenLog } from "./seen_log.ts";

async function tmp(name = "q.log"): Promise<string> {
  return `${await Deno.makeTempDir()}/${name}`;
}

Deno.test("openQueue() replays live items in enqueue order after reopening", async () => {
  const path = await tmp();
  const q = await openQueue(path);
  const seqs = await Promise.all(["a", "b", "c", "d"].map((x) => q.enqueue(x)));
  assertEquals(seqs, [1, 2, 3, 4]);
  q.remove(2);
  await q.close();
  const again = await openQueue(path);
  assertEquals(again.items(), [
    { seq: 1, item: "a" },
    { seq: 3, item: "c" },
    { seq: 4, item: "d" },
  ]);
  assertEquals(await again.enqueue("e"), 5);
  assertEquals(again.items(3).map((i) => i.item), ["d", "e"]);
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  await again.close();
});

Deno.test("a full queue refuses new items with OUTBOX_FULL and keeps every queued one", async () => {
  const q = await openQueue(await tmp(), { maxItems: 2 });
  await q.enqueue("1");
  await q.enqueue("2");
  await assertRejects(
    () => q.enqueue("3"),
    (e) => assert(isEdgeError(e, "OUTBOX_FULL"), String(e)),
  );
  assertEquals(q.items().map((i) => i.item), ["1", "2"]);
  q.remove(1);
  await q.enqueue("3");
  assertEquals(q.items().map((i) => i.item), ["2", "3"]);
  await q.close();
});

Deno.test("a torn last line left by a crash is cut off and the queue continues", async () => {
  const path = await tmp();
  await Deno.writeTextFile(path, "E 1 one\nE 2 two\nA 1\nE 3 thr");
  const q = await openQueue(path);
  assertEquals(q.items(), [{ seq: 2, item: "two" }]);
  assertEquals(await q.enqueue("three"), 3);
  await q.close();
  assertEquals(
    (await openQueue(path)).items().map((i) => i.item),
    ["two", "three"],
  );
});

Deno.test("compaction rewrites the file with only live items, also while enqueues are in flight", async () => {
  const path = await tmp();
  const q = await openQueue(path, { compactAfter: 10, maxItems: 100_000 });
  for (let round = 0; round < 5; round++) {
    const seqs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => q.enqueue(`r${round}-${i}`)),
    );
    for (const s of seqs.slice(0, 49)) q.remove(s);
  }
  const during = q.compact();
  const late = q.enqueue("late");
  await during;
  await late;
  await q.close();
  const text = await Deno.readTextFile(path);
  assert(text.split("\n").length < 20, `not compacted: ${text.length} bytes`);
  const again = await openQueue(path);
  assertEquals(again.items().map((i) => i.item), [
    "r0-49",
    "r1-49",
    "r2-49",
    "r3-49",
    "r4-49",
    "late",
  ]);
  await again.close();
});

Deno.test("a line that is not a queue record is reported as STORE_CORRUPT", async () => {
  const path = await tmp();
  await Deno.writeTextFile(path, "hello world\n");
  await assertRejects(
    () => openQueue(path),
    (e) => assert(isEdgeError(e, "STORE_CORRUPT"), String(e)),
  );
});

Deno.test("openSeenLog() remembers IDs across reopen and forgets the oldest beyond capacity", async () => {
  const path = await tmp("seen");
  const seen = await openSeenLog(path, { capacity: 3 });
  for (const id of ["a", "b", "c", "d"]) await seen.add(id);
  assert(!seen.has("a") && seen.has("d"));
  await seen.add("e");
  await seen.add("f");
  await seen.add("g"); // triggers a rewrite (lines > 2 × capacity)
  await seen.close();
  const again = await openSeenLog(path, { capacity: 3 });
  assertEquals([..."defg"].map((x) => again.has(x)), [false, true, true, true]);
  await again.close();
});

Deno.test("push() gives the seq at once; items pushed together share one durable promise", async () => {
  const path = await tmp();
  const q = await openQueue(path);
  const a = q.push("a");
  const b = q.push("b");
  const c = q.push("c");
  assertEquals([a.seq, b.seq, c.seq], [1, 2, 3]);
  assert(b.durable === c.durable);
  await c.durable;
  assertEquals(
    (await Deno.readTextFile(path)).split("\n").filter(Boolean),
    ["E 1 a", "E 2 b", "E 3 c"],
  );
  await q.close();
});

Deno.test("items pushed and removed while the file is rewritten are written after it, in order, and survive a reopen", async () => {
  const path = await tmp();
  const q = await openQueue(path, { compactAfter: 10, maxItems: 100_000 });
  const keep: string[] = [];
  for (let round = 0; round < 20; round++) {
    const pushed = Array.from(
      { length: 30 },
      (_, i) => q.push(`r${round}-${i}`),
    );
    if (round % 3 === 0) void q.compact();
    await Promise.all(pushed.map((p) => p.durable));
    for (const p of pushed.slice(0, 29)) q.remove(p.seq);
    keep.push(`r${round}-29`);
  }
  await q.close();
  const again = await openQueue(path);
  assertEquals(again.items().map((i) => i.item), keep);
  await again.close();
});

Deno.test("addNew() tells a new ID from a known one and synced() covers both", async () => {
  const path = await tmp("seen");
  const seen = await openSeenLog(path);
  assertEquals(seen.addNew("a"), true);
  assertEquals(seen.addNew("a"), false);
  assertEquals(seen.addNew("b"), true);
  await seen.synced();
  assertEquals(await Deno.readTextFile(path), "a\nb\n");
  assertThrowsType(() => seen.addNew("has space"));
  assertThrowsType(() => seen.add(""));
  await seen.close();
});

function assertThrowsType(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert(err instanceof TypeError, String(err));
    return;
  }
  throw new Error("expected a TypeError");
}

/** What a seen log of `capacity` must remember: the newest distinct adds. */
function seenModel(capacity: number) {
  const model: string[] = [];
  const remember = (id: string) => {
    const i = model.indexOf(id);
    if (i >= 0) model.splice(i, 1);
    model.push(id);
    if (model.length > capacity) model.shift();
  };
  return { model, remember };
}

Deno.test("a seen log at capacity forgets exactly the oldest IDs; an ID added again counts as new", async () => {
  const path = await tmp("seen-cap");
  const capacity = 1000;
  const seen = await openSeenLog(path, { capacity });
  const { model, remember } = seenModel(capacity);
  for (let i = 0; i < 20_000; i++) {
    const id = `m${i}`;
    assertEquals(seen.addNew(id), true);
    remember(id);
    if (i % 7 === 0) {
      // an ID from a little earlier comes again through add(): it moves up
      const again = `m${Math.max(0, i - 500)}`;
      void seen.add(again);
      remember(again);
    }
    if (i % 9 === 0 && model.length >= 2) {
      assertEquals(seen.addNew(model[model.length - 2]), false); // known
    }
  }
  assertEquals(seen.size, capacity);
  const probe = Array.from({ length: 20_000 }, (_, i) => `m${i}`);
  const inModel = new Set(model);
  assertEquals(
    probe.filter((id) => seen.has(id)),
    probe.filter((id) => inModel.has(id)),
  );
  await seen.close();
  const again = await openSeenLog(path, { capacity });
  assertEquals(again.size, capacity);
  assertEquals(
    probe.filter((id) => again.has(id)),
    probe.filter((id) => inModel.has(id)),
  );
  await again.close();
});

Deno.test("a seen log that sees the same IDs again and again stays exact, below and then beyond capacity", async () => {
  const path = await tmp("seen-again");
  const capacity = 100;
  const seen = await openSeenLog(path, { capacity });
  const { model, remember } = seenModel(capacity);
  // 20,000 adds of 60 IDs (the list of adds is rebuilt from the map), then
  // 150 new ones (beyond capacity), each time in a shuffled order
  for (let i = 0; i < 20_000; i++) {
    const id = `r${(i * 37) % 60}`;
    void seen.add(id);
    remember(id);
  }
  for (let i = 0; i < 150; i++) {
    assertEquals(seen.addNew(`n${i}`), true);
    remember(`n${i}`);
  }
  const probe = [
    ...Array.from({ length: 60 }, (_, i) => `r${i}`),
    ...Array.from({ length: 150 }, (_, i) => `n${i}`),
  ];
  const inModel = new Set(model);
  assertEquals(seen.size, capacity);
  assertEquals(
    probe.filter((id) => seen.has(id)),
    probe.filter((id) => inModel.has(id)),
  );
  await seen.close();
});
