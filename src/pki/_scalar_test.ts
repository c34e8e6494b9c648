import { assert, assertEquals } from "../../tests/_fixtures/assert.ts";
import { inRange, P256_N, randomScalar } from "./_scalar.ts";
import { toHex } from "../bytes.ts";

Deno.test("inRange accepts exactly [1, n-1] as 32 bytes", () => {
  const one = new Uint8Array(32);
  one[31] = 1;
  const nMinus1 = P256_N.slice();
  nMinus1[31] -= 1;
  const nPlus1 = P256_N.slice();
  nPlus1[31] += 1;
  assertEquals(
    [
      new Uint8Array(32),
      one,
      nMinus1,
      P256_N,
      nPlus1,
      new Uint8Array(32).fill(0xff),
      one.subarray(1),
    ]
      .map(inRange),
    [false, true, true, false, false, false, false],
  );
});

Deno.test("randomScalar gives distinct scalars in range", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const d = randomScalar();
    assert(inRange(d));
    seen.add(toHex(d));
  }
  assertEquals(seen.size, 1000);
});
