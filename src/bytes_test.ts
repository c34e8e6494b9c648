import { assertEquals, assertThrows } from "../tests/_fixtures/assert.ts";
import { fromBase64, fromBase64Url, toBase64, toBase64Url } from "./bytes.ts";

/** The reference: `btoa`/`atob` over binary strings. */
const refTo = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const refFrom = (t: string) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0));

Deno.test("base64 and base64url agree with btoa/atob at every length up to 300 and on random bytes", () => {
  for (let n = 0; n <= 300; n++) {
    const b = crypto.getRandomValues(new Uint8Array(n));
    const t = toBase64(b);
    assertEquals(t, refTo(b));
    assertEquals(fromBase64(t), b);
    const u = toBase64Url(b);
    assertEquals(
      u,
      t.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
    );
    assertEquals(fromBase64Url(u), b);
  }
  // non-zero bits in the last character decode as atob does
  assertEquals(fromBase64("QR=="), refFrom("QR=="));
  assertEquals(fromBase64("QUJ="), refFrom("QUJ="));
});

const isSyntaxError = (err: unknown) =>
  assertEquals((err as Error).name, "SyntaxError");

Deno.test("malformed base64 is refused with SyntaxError", () => {
  for (
    const bad of [
      "QQ",
      "QQ=",
      "Q===",
      "QQ==QQ==",
      "QQ ==",
      "QQ\n==",
      "Q-==",
      "QQ_=",
      "é",
    ]
  ) {
    assertThrows(() => fromBase64(bad), isSyntaxError);
  }
  for (const bad of ["Q", "QQ!", "QQQQQ"]) {
    assertThrows(() => fromBase64Url(bad), isSyntaxError);
  }
});
