/**
 * Single use of join tokens now that a token's use is made durable in its
 * node's registry record (one write per enrollment): replay refused after a
 * restart, `token list` right, state dirs from before still load, a SIGKILL
 * of the hub process mid-enrollment never lets a token be used twice nor
 * leaves a node record without its token used, and revoking a token races
 * its enrollment with exactly one winner.
 */
import { assert, assertEquals, assertMatch } from "../_fixtures/assert.ts";
import { spawnBinary } from "../_fixtures/cli.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { isEdgeError } from "../../src/errors.ts";
import { type Hub, startHubServer } from "../../src/hubserver/mod.ts";
import { createCsr, generateKeyPair } from "../../src/pki/mod.ts";
import { openStore } from "../../src/store/mod.ts";

const enc = new TextEncoder();

/** A hub config in a temp dir, started and restarted on the same state. */
async function hubDir(enrollPort = 0) {
  const dir = await Deno.makeTempDir({ prefix: "edge-token-use-" });
  const text = `stateDir: ${dir}/state
admin:
  socketPath: ${dir}/admin.sock
enroll:
  listen: 127.0.0.1:${enrollPort || 10002}
  rateLimit: {perSourcePerMinute: 0, perNodePerMinute: 0}
websocket:
  listen: 127.0.0.1:${enrollPort ? enrollPort + 1 : 10000}
`;
  await Deno.writeTextFile(`${dir}/hub.yaml`, text);
  return {
    dir,
    stateDir: `${dir}/state`,
    configFile: `${dir}/hub.yaml`,
    start: () =>
      startHubServer(parseConfig("hub", text), {
        enrollListen: { hostname: "127.0.0.1", port: 0 },
        websocketListen: { hostname: "127.0.0.1", port: 0 },
      }),
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

async function nodeCsr(node: string): Promise<Uint8Array> {
  return await createCsr({
    keys: await generateKeyPair(),
    subject: { O: "system:nodes", CN: `system:node:${node}` },
  });
}

function enroll(hub: Hub, node: string, token: string, csrDer: Uint8Array) {
  return hub.authority.issueNodeCertificate({
    nodeName: node,
    csrDer,
    bearerToken: token,
    source: "127.0.0.1",
  });
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert(isEdgeError(err), String(err));
    return `${err.code}: ${err.message}`;
  }
  throw new Error("expected a refusal");
}

Deno.test("a token used before a hub restart is refused after it, and token list and revoke still know it was used", async () => {
  const d = await hubDir();
  try {
    let hub = await d.start();
    const { token, record } = await hub.authority.createToken({ node: "n1" });
    const csr = await nodeCsr("n1");
    await enroll(hub, "n1", token, csr);
    await hub.close();

    hub = await d.start();
    try {
      const view = hub.authority.listTokens().find((t) => t.id === record.id)!;
      assertEquals(view.status, "used");
      assert(view.usedAt! >= record.createdAt);
      assertMatch(
        await refusal(enroll(hub, "n1", token, csr)),
        /^HUB_UNAUTHORIZED: .*token was already used/,
      );
      assertMatch(
        await refusal(hub.authority.revokeToken(record.id)),
        /^HUB_CONFLICT: .*already used/,
      );
      const [node] = await hub.authority.listNodes();
      assertEquals(node.usedTokens?.map((t) => t.id), [record.id]);
      assertEquals(node.certs.length, 1);
    } finally {
      await hub.close();
    }
  } finally {
    await d.remove();
  }
});

Deno.test("a hub state dir from before token uses lived in node records (token unit used, one unit per node) loads and refuses the replay", async () => {
  const d = await hubDir();
  try {
    let hub = await d.start();
    const { token, record } = await hub.authority.createToken({ node: "n1" });
    await hub.close();
    // Rewrite the state as the previous version left it after enrolling n1.
    const store = await openStore(d.stateDir);
    await store.write(
      `token.${record.id}`,
      enc.encode(JSON.stringify({ ...record, state: "used", usedAt: 5 })),
    );
    await store.write(
      "node.n1",
      enc.encode(JSON.stringify({
        name: "n1",
        state: "active",
        enrolledAt: 5,
        lastSeen: 5,
        lastSource: "127.0.0.1",
        certs: [{ serial: "1f", kind: "node", issuedAt: 5, notAfter: 9e12 }],
      })),
    );
    await store.remove("nodes");
    for (const name of await store.list()) {
      if (name.endsWith(".journal")) await store.remove(name);
    }

    hub = await d.start();
    try {
      assertEquals(
        (await hub.authority.listNodes()).map((n) => [n.name, n.certs.length]),
        [["n1", 1]],
      );
      assertEquals(hub.authority.listTokens()[0].status, "used");
      assertMatch(
        await refusal(enroll(hub, "n1", token, await nodeCsr("n1"))),
        /token was already used/,
      );
      // A new token enrolls it again; the old record is kept and extended.
      const second = await hub.authority.createToken({ node: "n1" });
      await enroll(hub, "n1", second.token, await nodeCsr("n1"));
      const [node] = await hub.authority.listNodes();
      assertEquals(node.enrolledAt, 5);
      assertEquals(node.certs.length, 2);
      assertEquals(node.usedTokens?.map((t) => t.id), [second.record.id]);
    } finally {
      await hub.close();
    }
    assert(!(await store.list()).includes("node.n1"), "legacy unit left");
  } finally {
    await d.remove();
  }
});

Deno.test("revoking a token while its enrollment runs: exactly one of the two succeeds, and token list agrees", async () => {
  const d = await hubDir();
  try {
    const hub = await d.start();
    try {
      for (let i = 0; i < 12; i++) {
        const node = `r${i}`;
        const { token, record } = await hub.authority.createToken({ node });
        const csr = await nodeCsr(node);
        // Even rounds: the revocation starts first (the enrollment has
        // reserved the token before it is revoked, then finds it revoked).
        // Odd rounds: it starts 0–5 ms after the enrollment (which holds the
        // node lock or is done: the token is used).
        const revoke = () => hub.authority.revokeToken(record.id);
        const pair = i % 2 === 0
          ? [revoke(), enroll(hub, node, token, csr)].reverse()
          : [
            enroll(hub, node, token, csr),
            new Promise((ok) => setTimeout(ok, i >> 1)).then(revoke),
          ];
        const [e, r] = await Promise.allSettled(pair);
        const status = hub.authority.listTokens().find((t) =>
          t.id === record.id
        )!.status;
        if (e.status === "fulfilled") {
          assertEquals(r.status, "rejected", `${node}: both succeeded`);
          assertMatch(
            String((r as PromiseRejectedResult).reason),
            /already used/,
          );
          assertEquals(status, "used");
        } else {
          assertEquals(r.status, "fulfilled", `${node}: both failed`);
          assertMatch(String(e.reason), /token was revoked/);
          assertEquals(status, "revoked");
          assertEquals(
            await hub.authority.listNodes().then((l) =>
              l.find((n) => n.name === node)
            ),
            undefined,
          );
        }
      }
    } finally {
      await hub.close();
    }
  } finally {
    await d.remove();
  }
});

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("SIGKILL of the hub process mid-enrollment: each token is either used, with a node record holding its certificate, or unused and good exactly once", async () => {
  const port = freePort();
  const d = await hubDir(port);
  try {
    const N = 40;
    let hub = await d.start();
    const caPem = hub.caPem;
    const jobs: { node: string; token: string; id: string; csr: Uint8Array }[] =
      [];
    for (let i = 0; i < N; i++) {
      const node = `k${i}`;
      const { token, record } = await hub.authority.createToken({ node });
      jobs.push({ node, token, id: record.id, csr: await nodeCsr(node) });
    }
    await hub.close();

    const child = spawnBinary("hub", "--config", d.configFile);
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    while (!out.includes("admin socket:")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`hub exited: ${out}`);
      out += value;
    }
    const client = Deno.createHttpClient({ caCerts: [caPem] });
    const acked = new Set<string>();
    let next = 0;
    let killed = false;
    const kill = () => {
      if (!killed) child.kill("SIGKILL");
      killed = true;
    };
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < N && !killed) {
        const job = jobs[next++];
        try {
          const res = await fetch(`https://127.0.0.1:${port}/edge.crt`, {
            method: "POST",
            body: job.csr as Uint8Array<ArrayBuffer>,
            headers: {
              authorization: `Bearer ${job.token}`,
              nodename: job.node,
            },
            client,
          });
          await res.arrayBuffer();
          if (res.status === 200) acked.add(job.node);
          if (acked.size >= 10) kill();
        } catch {
          // Cut off by the kill.
        }
      }
    }));
    kill();
    client.close();
    assertEquals((await child.status).signal, "SIGKILL");
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel();

    hub = await d.start();
    try {
      const nodes = new Map(
        (await hub.authority.listNodes()).map((n) => [n.name, n]),
      );
      const tokens = new Map(hub.authority.listTokens().map((t) => [t.id, t]));
      let used = 0;
      for (const job of jobs) {
        const rec = nodes.get(job.node);
        const status = tokens.get(job.id)!.status;
        if (acked.has(job.node)) assert(rec, `${job.node}: record lost`);
        if (rec) {
          used++;
          assertEquals(status, "used", `${job.node}: record, token ${status}`);
          assertEquals(rec.usedTokens?.map((t) => t.id), [job.id]);
          assertEquals(rec.certs.length, 1);
          assertMatch(
            await refusal(enroll(hub, job.node, job.token, job.csr)),
            /token was already used/,
          );
        } else {
          assertEquals(status, "active", `${job.node}: no record, ${status}`);
          await enroll(hub, job.node, job.token, job.csr);
          assertMatch(
            await refusal(enroll(hub, job.node, job.token, job.csr)),
            /token was already used/,
          );
        }
      }
      assert(used >= 10 && used < N, `used ${used} of ${N}`);
    } finally {
      await hub.close();
    }
  } finally {
    await d.remove();
  }
});
