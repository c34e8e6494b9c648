import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { FakeClock } from "../../tests/_fixtures/clock.ts";
import { EdgeError } from "../errors.ts";
import { signJwt } from "../jose/mod.ts";
import { generateKeyPair } from "../pki/mod.ts";
import { encodeJwtBundle, parseJwtBundle } from "../bundle/mod.ts";
import { JwtSvidAuthority } from "./jwt_svid.ts";

const ID = "spiffe://example.org/app";
const code = (c: string) => (e: unknown) =>
  e instanceof EdgeError && e.code === c;

Deno.test("a JWT-SVID is cached per identity and audience until half its lifetime, then minted anew", async () => {
  const clock = new FakeClock();
  const jwt = await JwtSvidAuthority.create({
    trustDomain: "example.org",
    clock,
    ttlMs: 300_000,
  });
  const a = await jwt.mint(ID, ["db", "cache"]);
  assertEquals(
    (await jwt.mint(ID, ["cache", "db"])).token,
    a.token,
    "same audience set",
  );
  assert((await jwt.mint(ID, ["db"])).token !== a.token, "other audience");
  await clock.advance(149_000);
  assertEquals((await jwt.mint(ID, ["db", "cache"])).token, a.token);
  await clock.advance(1_000);
  assert(
    (await jwt.mint(ID, ["db", "cache"])).token !== a.token,
    "renewed at half-life",
  );
  await rejects(jwt.mint(ID, []), code("JWT_INVALID"));
});

Deno.test("validate() checks signature, aud, exp and the subject's trust domain", async () => {
  const clock = new FakeClock();
  const jwt = await JwtSvidAuthority.create({
    trustDomain: "example.org",
    clock,
    ttlMs: 60_000,
  });
  const { token } = await jwt.mint(ID, ["db"]);
  assertEquals((await jwt.validate(token, "db")).spiffeId, ID);
  await rejects(jwt.validate(token, "web"), code("JWT_INVALID"));
  await rejects(
    jwt.validate(token.slice(0, -4) + "AAAA", "db"),
    code("JWT_INVALID"),
  );
  const other = await generateKeyPair();
  const forged = await signJwt({ alg: "ES256", kid: jwt.kid }, {
    sub: ID,
    aud: ["db"],
    exp: 2e9,
  }, other.privateKey);
  await rejects(jwt.validate(forged, "db"), code("JWT_INVALID"));
  await clock.advance(61_000);
  await rejects(jwt.validate(token, "db"), code("JWT_EXPIRED"));
});

Deno.test("the JWT bundle is a JWK Set with use jwt-svid that parses back and verifies tokens", async () => {
  const jwt = await JwtSvidAuthority.create({ trustDomain: "example.org" });
  const json = JSON.parse(
    new TextDecoder().decode(await encodeJwtBundle(jwt.bundle())),
  );
  assertEquals(json.keys[0].use, "jwt-svid");
  assertEquals(json.keys[0].kid, jwt.kid);
  assertEquals(json.keys[0].d, undefined, "no private part");
  const parsed = await parseJwtBundle("example.org", JSON.stringify(json));
  const peer = await JwtSvidAuthority.create({ trustDomain: "example.org" });
  peer.setPeerAuthorities(parsed.keys);
  const { token } = await jwt.mint(ID, ["x"]);
  assertEquals(
    (await peer.validate(token, "x")).spiffeId,
    ID,
    "another node validates with the published key",
  );
});
