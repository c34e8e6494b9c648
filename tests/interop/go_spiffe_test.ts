/**
 * Interop with go-spiffe v2 (the reference Go client library): its
 * `workloadapi.NewX509Source` follows our stream through rotations and
 * verifies every SVID against the bundle with `x509svid.Verify`; its JWT
 * client fetches a JWT-SVID, validates it with `jwtsvid.ParseAndValidate`
 * against our JWT bundle, and calls ValidateJWTSVID. The harness
 * (tests/interop/go) is built by scripts/interop-deps.sh through the Go
 * module proxy.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { startTestApi, TD } from "../workloadapi/_harness.ts";

const DEPS = new URL("../../scripts/interop-deps.sh", import.meta.url).pathname;

async function harness(): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [DEPS, "go"],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("scripts/interop-deps.sh go failed");
  return `${new TextDecoder().decode(out.stdout).trim()}/bin/x509source`;
}

Deno.test("go-spiffe's X509Source receives and verifies rotating SVIDs, and its JWT client validates a JWT-SVID with our bundle", async () => {
  const bin = await harness();
  await using t = await startTestApi(
    [{
      spiffeId: `spiffe://${TD}/go-client`,
      selectors: [`unix:uid:${Deno.uid()}`],
    }],
    { svidTtlMs: 2_000 },
  );
  const out = await new Deno.Command(bin, {
    args: [
      "-addr",
      `unix://${t.socket}`,
      "-n",
      "3",
      "-jwt",
      "db",
      "-timeout",
      "30s",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.success, true, text + new TextDecoder().decode(out.stderr));
  const lines = text.trim().split("\n").map((l) => JSON.parse(l));
  const svids = lines.filter((l) => l.serial);
  assertEquals(svids.length, 3);
  for (const s of svids) {
    assertEquals(s.spiffe_id, `spiffe://${TD}/go-client`);
    assertEquals(s.chain, 2);
  }
  assertEquals(lines.at(-1).jwt_spiffe_id, `spiffe://${TD}/go-client`);
});
