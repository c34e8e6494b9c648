/**
 * The node-identity file sink follows the "identity changed" event: a real
 * enrollment and a real renewal (against the cloudcore stand-in) each
 * rewrite the PEM files atomically (key 0600) and run the reload command as
 * an argv list without a shell.
 */
import { assert, assertEquals } from "../_fixtures/assert.ts";
import { startCloudcoreStandin } from "../_fixtures/cloudcore_standin.ts";
import { IdentityEvents } from "../../src/identity/events.ts";
import { createNodeIdentitySink } from "../../src/identity/sink.ts";
import { createHubUpstream } from "../../src/identity/upstream/hub.ts";
import { parseJoinToken } from "../../src/identity/token.ts";
import {
  generateKeyPair,
  keyMatchesCertificate,
  parseCertificateChain,
  parsePrivateKey,
} from "../../src/pki/mod.ts";
import { waitFor, withTempDir } from "./_helpers.ts";

Deno.test("a renewal rewrites the node PEM files and runs the reload command without a shell; a restart with the same identity writes nothing", async () => {
  const hub = await startCloudcoreStandin();
  try {
    await withTempDir(async (dir) => {
      const files = {
        certFile: `${dir}/node/cert.pem`,
        keyFile: `${dir}/node/key.pem`,
        caFile: `${dir}/node/ca.pem`,
      };
      const marker = `${dir}/reloaded; rm -rf $HOME`; // a shell would split this
      const events = new IdentityEvents();
      events.watch(
        createNodeIdentitySink({ ...files, reloadCommand: ["touch", marker] }),
      );
      const up = createHubUpstream({ server: hub.url, nodeName: "pi-1" });
      const first = await up.enroll({
        keys: await generateKeyPair(),
        token: await parseJoinToken(await hub.token()),
      });
      await events.publish(first);
      assertEquals((await Deno.stat(files.keyFile)).mode! & 0o777, 0o600);
      assertEquals((await Deno.stat(files.certFile)).mode! & 0o777, 0o644);
      await waitFor(
        async () => await Deno.stat(marker).then(() => true, () => false),
        "the reload marker",
      );
      await Deno.remove(marker);

      const next = await up.renew({
        keys: await generateKeyPair(),
        current: first,
      });
      await events.publish(next);
      const cert =
        parseCertificateChain(await Deno.readTextFile(files.certFile))[0];
      assertEquals(cert.serialHex, next.leaf.serialHex);
      const key = await parsePrivateKey(await Deno.readTextFile(files.keyFile));
      assert(await keyMatchesCertificate(key, cert));
      assertEquals(
        parseCertificateChain(await Deno.readTextFile(files.caFile))[0]
          .serialHex,
        hub.ca.cert.serialHex,
      );
      assert(
        await Deno.stat(marker).then(() => true, () => false),
        "reload command did not run again",
      );
      const leftovers = [...Deno.readDirSync(`${dir}/node`)].map((e) => e.name)
        .filter((n) => n.includes(".tmp-"));
      assertEquals(leftovers, []);

      // A restart publishes the stored identity again: files that already
      // hold it are left alone and nothing is reloaded ...
      await Deno.remove(marker);
      const inode = (await Deno.stat(files.certFile)).ino;
      const restarted = new IdentityEvents();
      restarted.watch(
        createNodeIdentitySink({ ...files, reloadCommand: ["touch", marker] }),
      );
      await restarted.publish(next);
      assertEquals((await Deno.stat(files.certFile)).ino, inode);
      assert(
        !(await Deno.stat(marker).then(() => true, () => false)),
        "reloaded although nothing changed",
      );
      // ... unless one of them differs (here: a key file left readable).
      await Deno.chmod(files.keyFile, 0o644);
      const again = new IdentityEvents();
      again.watch(
        createNodeIdentitySink({ ...files, reloadCommand: ["touch", marker] }),
      );
      await again.publish(next);
      assertEquals((await Deno.stat(files.keyFile)).mode! & 0o777, 0o600);
      assert(await Deno.stat(marker).then(() => true, () => false));
    });
  } finally {
    await hub.close();
  }
});

Deno.test("a failing reload command is logged and does not stop the files from being written", async () => {
  await withTempDir(async (dir) => {
    const hub = await startCloudcoreStandin();
    try {
      const lines: string[] = [];
      const { createLogger } = await import("../../src/log/mod.ts");
      const sink = createNodeIdentitySink({
        certFile: `${dir}/c.pem`,
        keyFile: `${dir}/k.pem`,
        caFile: `${dir}/ca.pem`,
        reloadCommand: ["/nonexistent/reload"],
        logger: createLogger({ format: "json", write: (l) => lines.push(l) }),
      });
      const up = createHubUpstream({ server: hub.url, nodeName: "pi-1" });
      await sink(
        await up.enroll({
          keys: await generateKeyPair(),
          token: await parseJoinToken(await hub.token()),
        }),
      );
      assert(
        lines.some((l) => l.includes("reload command could not run")),
        lines.join("\n"),
      );
      assert(!lines.some((l) => l.includes("PRIVATE KEY")));
      await Deno.stat(`${dir}/c.pem`);
    } finally {
      await hub.close();
    }
  });
});
