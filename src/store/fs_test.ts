import {
  assert,
  assertEquals,
  assertRejects,
} from "../../tests/_fixtures/assert.ts";
import { denoFs } from "./fs.ts";

const base = Deno.makeTempDirSync({ prefix: "fs-test-" });
globalThis.addEventListener(
  "unload",
  () => Deno.removeSync(base, { recursive: true }),
);

Deno.test("denoFs.writeNewFileSynced writes all bytes with the given mode", async () => {
  const path = `${base}/a`;
  const data = crypto.getRandomValues(new Uint8Array(65536)).map((b, i) =>
    b ^ i
  );
  const big = new Uint8Array(3 * 1024 * 1024).fill(7);
  big.set(data);
  await denoFs.writeNewFileSynced(path, big, 0o600);
  assertEquals(await denoFs.readFile(path), big);
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
});

Deno.test("denoFs.writeNewFileSynced refuses to overwrite an existing file", async () => {
  const path = `${base}/b`;
  await Deno.writeTextFile(path, "keep");
  await assertRejects(
    () => denoFs.writeNewFileSynced(path, new Uint8Array([1]), 0o600),
    (e) => assert(e instanceof Deno.errors.AlreadyExists),
  );
  assertEquals(await Deno.readTextFile(path), "keep");
});

Deno.test("denoFs.syncDir fsyncs a real directory on this platform", async () => {
  await denoFs.syncDir(base);
  await assertRejects(() => denoFs.syncDir(`${base}/missing`), (e) => {
    assert(e instanceof Deno.errors.NotFound);
  });
});

Deno.test("denoFs.link fails when the target exists and stat reports owner and mode", async () => {
  await Deno.writeTextFile(`${base}/c`, "c");
  await denoFs.link(`${base}/c`, `${base}/d`);
  await assertRejects(() => denoFs.link(`${base}/c`, `${base}/d`), (e) => {
    assert(e instanceof Deno.errors.AlreadyExists);
  });
  const st = await denoFs.stat(`${base}/d`);
  assertEquals(st.uid, Deno.uid());
  assert(st.isFile && !st.isDirectory && st.mode !== null);
  assertEquals(await denoFs.readDir(base).then((n) => n.includes("d")), true);
});
