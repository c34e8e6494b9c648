import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { tokenFileSource } from "./token_source.ts";

const TOKEN = `${"ab".repeat(32)}.eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuMSJ9.c2ln`;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("with wipeTokenFile the token file is removed once the enrollment used it; without, it is kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/token`;
    await Deno.writeTextFile(path, TOKEN);
    const kept = tokenFileSource(path);
    assertEquals((await kept.read())?.caHash, "ab".repeat(32));
    await kept.consumed();
    assertEquals(await exists(path), true);

    const wiped = tokenFileSource(path, { wipe: true });
    await wiped.consumed();
    assertEquals(await exists(path), false);
    assertEquals(await wiped.read(), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
