import { assert, assertEquals } from "../../tests/_fixtures/assert.ts";
import { EdgeError } from "../errors.ts";
import { parseJoinToken } from "./token.ts";

const HASH = "ab".repeat(32);
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE4OTM0NTYwMDB9.c2lnbmF0dXJl";

async function code(text: string): Promise<EdgeError> {
  try {
    await parseJoinToken(text);
  } catch (err) {
    if (err instanceof EdgeError) return err;
    throw err;
  }
  throw new Error("expected an error");
}

Deno.test("parseJoinToken() splits <caHash>.<jwt> and reads exp without trusting it", async () => {
  const t = await parseJoinToken(`  ${HASH.toUpperCase()}.${JWT}\n`);
  assertEquals(t.caHash, HASH);
  assertEquals(t.jwt, JWT);
  assertEquals(t.expiresAt?.toISOString(), "2030-01-01T00:00:00.000Z");
  assertEquals(t.fingerprint.length, 64);
});

Deno.test("parseJoinToken() rejects anything but 4 dot-separated parts, naming the count", async () => {
  for (
    const [text, n] of [[JWT, 3], [`${HASH}.${JWT}.x`, 5], ["", 1]] as const
  ) {
    const err = await code(text);
    assertEquals(err.code, "TOKEN_INVALID");
    assert(err.message.includes(`got ${n}`), err.message);
  }
});

Deno.test("parseJoinToken() rejects a CA hash that is not 64 hex digits without echoing the token", async () => {
  const err = await code(`xyz.${JWT}`);
  assertEquals(err.code, "TOKEN_INVALID");
  assert(!err.message.includes("c2lnbmF0dXJl"));
  assert(err.message.includes("CA hash"));
});

Deno.test("parseJoinToken() rejects empty JWT parts", async () => {
  assertEquals((await code(`${HASH}.a..c`)).code, "TOKEN_INVALID");
});
