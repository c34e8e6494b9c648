/**
 * `trimStartupMemory()` in a real process with the compiled binary's flags
 * (no `--allow-all`): the executable's pages that start-up touched are
 * given back, and the process works normally afterwards. The process runs
 * from its own copy of the executable, as a device runs its own
 * `edge-runtime` binary: the kernel leaves pages that another process (this
 * test runner) maps as well in place.
 */
import { assert, assertEquals } from "../_fixtures/assert.ts";
import { cliFlags } from "../../scripts/_build.ts";
import { ROOT } from "../_fixtures/cli.ts";

const CHILD = `
import { trimStartupMemory } from "${ROOT}/src/memory_trim.ts";
import * as net from "node:net";
import * as http from "node:http";
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
console.log("ready");
await lines.read();
console.log(JSON.stringify(trimStartupMemory()));
await lines.read();
// Work after the trim: Node compatibility, Web Crypto, a loopback HTTP exchange.
const server = http.createServer((_, res) => res.end("pong")).listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const port = (server.address() as net.AddressInfo).port;
const body = await (await fetch(\`http://127.0.0.1:\${port}/\`)).text();
const key = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, new Uint8Array(8));
server.close();
console.log(JSON.stringify({ body, sig: sig.byteLength }));
`;

/** RssFile of `pid` in KiB. */
function rssFileKb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/^RssFile:\s+(\d+)/m.exec(status)![1]);
}

Deno.test("the start-up trim gives back the executable's clean pages and the process keeps working", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edge-memory-trim-" });
  try {
    const exe = `${dir}/deno`;
    await Deno.copyFile(Deno.execPath(), exe);
    await Deno.writeTextFile(`${dir}/child.ts`, CHILD);
    const child = new Deno.Command(exe, {
      args: ["run", "--quiet", ...await cliFlags(ROOT), `${dir}/child.ts`],
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    const line = async () => {
      while (!buf.includes("\n")) {
        const r = await out.read();
        if (r.done) throw new Error(`the child ended; output: ${buf}`);
        buf += r.value;
      }
      const i = buf.indexOf("\n");
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      return l;
    };
    const stdin = child.stdin.getWriter();
    const go = () => stdin.write(new TextEncoder().encode("go\n"));
    try {
      assertEquals(await line(), "ready");
      const before = rssFileKb(child.pid);
      await go();
      const report = JSON.parse(await line());
      const after = rssFileKb(child.pid);
      assert(
        report.mappings > 0,
        `nothing paged out: ${JSON.stringify(report)}`,
      );
      assertEquals(report.pageoutError, undefined);
      assert(
        after < before / 2,
        `file-backed RSS ${before} KiB → ${after} KiB: less than half given back`,
      );
      await go();
      assertEquals(JSON.parse(await line()), { body: "pong", sig: 64 });
    } finally {
      await stdin.close().catch(() => {});
      await out.cancel().catch(() => {});
      const status = await child.status;
      assertEquals(status.code, 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
