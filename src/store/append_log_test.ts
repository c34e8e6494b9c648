import {
  assert,
  assertEquals,
  assertRejects,
} from "../../tests/_fixtures/assert.ts";
import { openAppendLog } from "./append_log.ts";

async function tmpFile(): Promise<string> {
  const dir = await Deno.makeTempDir();
  return `${dir}/audit.log`;
}

Deno.test("openAppendLog() creates the file 0600 and appends whole lines in order", async () => {
  const path = await tmpFile();
  using log = await openAppendLog(path);
  assertEquals(log.lastLine, undefined);
  await Promise.all([log.append("a"), log.append("b"), log.append("c")]);
  assertEquals(await Deno.readTextFile(path), "a\nb\nc\n");
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  assertEquals(log.lastLine, "c");
  assertEquals(log.lineCount, 3);
});

Deno.test("openAppendLog() continues an existing log and knows its last line", async () => {
  const path = await tmpFile();
  await Deno.writeTextFile(path, "one\ntwo\n");
  using log = await openAppendLog(path);
  assertEquals(log.lastLine, "two");
  assertEquals(log.lineCount, 2);
  await log.append("three");
  assertEquals(await Deno.readTextFile(path), "one\ntwo\nthree\n");
});

Deno.test("openAppendLog() cuts off a torn last line left by a crash", async () => {
  const path = await tmpFile();
  await Deno.writeTextFile(path, "one\ntwo\nthr");
  using log = await openAppendLog(path);
  assertEquals(log.lastLine, "two");
  await log.append("three");
  assertEquals(await Deno.readTextFile(path), "one\ntwo\nthree\n");
});

Deno.test("append() refuses a line with a newline and appends after close fail", async () => {
  const path = await tmpFile();
  const log = await openAppendLog(path);
  await assertRejects(
    () => log.append("a\nb"),
    (err) => assert(err instanceof TypeError),
  );
  log.close();
  await assertRejects(
    () => log.append("x"),
    (err) => assert(String(err).includes("closed")),
  );
  assertEquals(await Deno.readTextFile(path), "");
});

Deno.test("appendLines() writes several lines in order with one write and counts each", async () => {
  const path = await tmpFile();
  using log = await openAppendLog(path);
  await Promise.all([log.appendLines(["a", "b"]), log.append("c")]);
  await log.appendLines([]);
  assertEquals(await Deno.readTextFile(path), "a\nb\nc\n");
  assertEquals(log.lastLine, "c");
  assertEquals(log.lineCount, 3);
  assertThrowsNewline(() => log.appendLines(["ok", "x\ny"]));
  assertEquals(await Deno.readTextFile(path), "a\nb\nc\n"); // nothing written
});

function assertThrowsNewline(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert(err instanceof TypeError, String(err));
    return;
  }
  throw new Error("expected a TypeError for a line with a newline");
}

Deno.test("lines appended while a write is in flight share one promise, and synced() waits for every line so far", async () => {
  const path = await tmpFile();
  using log = await openAppendLog(path);
  await log.synced(); // nothing pending
  const first = log.append("a"); // written at once
  const second = log.append("b");
  const third = log.appendLines(["c", "d"]);
  assert(first !== second, "the first line is written on its own");
  assert(second === third, "lines waiting for the write share its promise");
  await log.synced();
  assertEquals(await Deno.readTextFile(path), "a\nb\nc\nd\n");
  assertEquals(log.lineCount, 4);
  await Promise.all([first, second, third]);
});
