import {
  assert,
  assertEquals,
  assertMatch,
} from "../../tests/_fixtures/assert.ts";
import { FakeClock } from "../../tests/_fixtures/clock.ts";
import { openAuditLog, verifyAuditLog } from "./audit.ts";

async function logWith(n: number): Promise<{ path: string; text: string }> {
  const path = `${await Deno.makeTempDir()}/audit.log`;
  const audit = await openAuditLog(path, { clock: new FakeClock() });
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      audit.record({
        action: "enroll",
        outcome: "ok",
        node: `n${i}`,
        source: "127.0.0.1",
        serial: "ab",
      })),
  );
  audit.close();
  return { path, text: await Deno.readTextFile(path) };
}

Deno.test("an audit log written concurrently verifies, one JSON line per event", async () => {
  const { text } = await logWith(5);
  const lines = text.trim().split("\n");
  assertEquals(lines.length, 5);
  const first = JSON.parse(lines[0]);
  assertEquals(first.seq, 0);
  assertEquals(first.prev, "0".repeat(64));
  assertEquals(first.time, "2026-01-01T00:00:00.000Z");
  assertEquals(await verifyAuditLog(text), { ok: true, lines: 5 });
});

Deno.test("reopening an audit log continues its chain", async () => {
  const { path } = await logWith(2);
  const audit = await openAuditLog(path);
  await audit.record({ action: "node.lock", outcome: "ok", node: "x" });
  audit.close();
  const v = await verifyAuditLog(await Deno.readTextFile(path));
  assertEquals(v, { ok: true, lines: 3 });
});

Deno.test("verifyAuditLog() names an edited line as tampered", async () => {
  const { text } = await logWith(4);
  const edited = text.replace('"node":"n2"', '"node":"evil"');
  const v = await verifyAuditLog(edited);
  assertEquals(v.ok, false);
  assertEquals(v.firstBad?.line, 3);
  assertMatch(v.firstBad!.reason, /tampered/);
});

Deno.test("verifyAuditLog() names the line after a removed one", async () => {
  const { text } = await logWith(4);
  const lines = text.trim().split("\n");
  lines.splice(1, 1);
  const v = await verifyAuditLog(lines.join("\n") + "\n");
  assertEquals(v.firstBad?.line, 2);
  assertMatch(v.firstBad!.reason, /1 line\(s\) missing/);
});

Deno.test("verifyAuditLog() catches a line rewritten with a fresh hash via the next line's prev", async () => {
  const { path } = await logWith(3);
  const lines = (await Deno.readTextFile(path)).trim().split("\n");
  // Rebuild line 2 (seq 1) with a consistent own hash but other content.
  const { encodeAuditLine } = await import("./audit.ts");
  const orig = JSON.parse(lines[1]);
  lines[1] = await encodeAuditLine(
    { seq: 1, time: orig.time, action: "enroll", outcome: "ok", node: "evil" },
    orig.prev,
  );
  const v = await verifyAuditLog(lines.join("\n") + "\n");
  assertEquals(v.firstBad?.line, 3);
  assert(v.firstBad!.reason.includes("prev hash"));
});

Deno.test("recordAll() appends its events as consecutive chained lines", async () => {
  const { path } = await logWith(1);
  const audit = await openAuditLog(path, { clock: new FakeClock() });
  await Promise.all([
    audit.recordAll([
      { action: "token.use", outcome: "ok", node: "a", tokenId: "t1" },
      { action: "enroll", outcome: "ok", node: "a", serial: "01" },
    ]),
    audit.record({ action: "node.lock", outcome: "ok", node: "b" }),
  ]);
  audit.close();
  const text = await Deno.readTextFile(path);
  const actions = text.trim().split("\n").map((l) => JSON.parse(l).action);
  assertEquals(actions, ["enroll", "token.use", "enroll", "node.lock"]);
  assertEquals(await verifyAuditLog(text), { ok: true, lines: 4 });
});
