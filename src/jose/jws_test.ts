import { assertEquals, assertRejects } from "../../tests/_fixtures/assert.ts";
import { isEdgeError } from "../errors.ts";
import { P256PrivateKey, warmUpP256Signer } from "../pki/mod.ts";
import { decodeJwtInsecure, importHmacKey, signJwt, verifyJwt } from "./jws.ts";

const secret = crypto.getRandomValues(new Uint8Array(32));
const hmac = await importHmacKey(secret);
const es = await crypto.subtle.generateKey(
  { name: "ECDSA", namedCurve: "P-256" },
  true,
  [
    "sign",
    "verify",
  ],
) as CryptoKeyPair;
const NOW = Date.UTC(2026, 0, 1);
const exp = NOW / 1000 + 60;

function code(c: string) {
  return (err: unknown) => {
    if (!isEdgeError(err) || err.code !== c) throw err;
  };
}

Deno.test("an HS256 token round-trips and its claims come back", async () => {
  const jwt = await signJwt({ alg: "HS256", typ: "JWT" }, {
    sub: "pi-01",
    exp,
    jti: "j1",
  }, hmac);
  const d = await verifyJwt(jwt, {
    key: hmac,
    algorithms: ["HS256"],
    now: NOW,
  });
  assertEquals(d.claims, { sub: "pi-01", exp, jti: "j1" });
});

Deno.test("an ES256 token verifies with the public key and checks aud", async () => {
  const jwt = await signJwt({ alg: "ES256", kid: "k1" }, {
    sub: "spiffe://td/x",
    aud: ["a", "b"],
    exp,
  }, es.privateKey);
  await verifyJwt(jwt, {
    key: es.publicKey,
    algorithms: ["ES256"],
    now: NOW,
    audience: "b",
  });
  await assertRejects(
    () =>
      verifyJwt(jwt, {
        key: es.publicKey,
        algorithms: ["ES256"],
        now: NOW,
        audience: "c",
      }),
    code("JWT_INVALID"),
  );
});

Deno.test("ES256 signs with a P256PrivateKey on the fast path and Web Crypto verifies", async () => {
  await warmUpP256Signer();
  const key = await P256PrivateKey.generate();
  const { publicKey } = await key.toCryptoKeyPair();
  const jwt = await signJwt({ alg: "ES256", kid: "k1" }, {
    sub: "spiffe://td/x",
    aud: "a",
    exp,
  }, key);
  const d = await verifyJwt(jwt, {
    key: publicKey,
    algorithms: ["ES256"],
    now: NOW,
    audience: "a",
  });
  assertEquals(d.signature.length, 64);
  await assertRejects(
    () => signJwt({ alg: "ES256" }, { exp }, hmac),
    code("KEY_INVALID"),
  );
  await assertRejects(
    () => signJwt({ alg: "HS256" }, { exp }, key),
    (err) => {
      if (!(err instanceof TypeError)) throw err;
    },
  );
});

Deno.test("a tampered payload, a wrong key or an unlisted algorithm are refused", async () => {
  const jwt = await signJwt({ alg: "HS256" }, { sub: "pi-01", exp }, hmac);
  const [h, , s] = jwt.split(".");
  const forged = `${h}.${
    btoa(JSON.stringify({ sub: "pi-02", exp })).replace(/=+$/, "")
  }.${s}`;
  await assertRejects(
    () => verifyJwt(forged, { key: hmac, algorithms: ["HS256"], now: NOW }),
    code("JWT_INVALID"),
  );
  const other = await importHmacKey(new Uint8Array(32));
  await assertRejects(
    () => verifyJwt(jwt, { key: other, algorithms: ["HS256"], now: NOW }),
    code("JWT_INVALID"),
  );
  await assertRejects(
    () => verifyJwt(jwt, { key: hmac, algorithms: ["ES256"], now: NOW }),
    code("JWT_INVALID"),
  );
  const none = `${btoa('{"alg":"none"}').replace(/=+$/, "")}.${
    jwt.split(".")[1]
  }.`;
  await assertRejects(
    () => verifyJwt(none, { key: hmac, algorithms: ["HS256"], now: NOW }),
    code("JWT_INVALID"),
  );
});

Deno.test("expiry is enforced with optional leeway and exp is required by default", async () => {
  const jwt = await signJwt({ alg: "HS256" }, { exp }, hmac);
  await assertRejects(
    () =>
      verifyJwt(jwt, { key: hmac, algorithms: ["HS256"], now: NOW + 61_000 }),
    code("JWT_EXPIRED"),
  );
  await verifyJwt(jwt, {
    key: hmac,
    algorithms: ["HS256"],
    now: NOW + 61_000,
    leewaySeconds: 5,
  });
  const noExp = await signJwt({ alg: "HS256" }, { sub: "x" }, hmac);
  await assertRejects(
    () => verifyJwt(noExp, { key: hmac, algorithms: ["HS256"], now: NOW }),
    code("JWT_INVALID"),
  );
});

Deno.test("garbage is JWT_INVALID and the message never echoes the token", async () => {
  for (const bad of ["", "a.b", "a.b.c.d", "!!.??.##", "eyJ9.eyJ9.x"]) {
    const err = await assertRejects(
      () => verifyJwt(bad, { key: hmac, algorithms: ["HS256"] }),
      code("JWT_INVALID"),
    );
    if (bad.length > 3 && (err as Error).message.includes(bad)) {
      throw new Error("token echoed");
    }
  }
  assertEquals(
    decodeJwtInsecure(await signJwt({ alg: "HS256" }, { exp }, hmac)).header
      .alg,
    "HS256",
  );
});
