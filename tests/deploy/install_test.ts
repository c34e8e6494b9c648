/**
 * scripts/install.sh and the systemd units, installed into a fake root (a
 * temp dir with its own /etc/passwd) exactly as into a mounted device image.
 * Runs as root (the CI does); one test proves the refusal without root.
 */
import { parse as parseYaml } from "yaml";
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { ROOT, runBinary } from "../_fixtures/cli.ts";

const SCRIPT = `${ROOT}/scripts/install.sh`;
const TOKEN = "ab".repeat(32) +
  ".eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwaS0wNyJ9.c2lnbmF0dXJl\n";

interface Run {
  code: number;
  out: string;
}

async function sh(
  args: string[],
  opts: { asNobody?: boolean } = {},
): Promise<Run> {
  const cmd = opts.asNobody
    ? [
      "setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "bash",
      SCRIPT,
    ]
    : ["bash", SCRIPT];
  const out = await new Deno.Command(cmd[0], {
    args: [...cmd.slice(1), ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    out: dec.decode(out.stdout) + dec.decode(out.stderr),
  };
}

/** A fake root like a fresh image: /etc/passwd and friends with root only. */
async function fakeRoot(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "install-test-" });
  await Deno.mkdir(`${dir}/etc`);
  await Deno.mkdir(`${dir}/usr/sbin`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/etc/passwd`,
    "root:x:0:0:root:/root:/bin/bash\n",
  );
  await Deno.writeTextFile(`${dir}/etc/group`, "root:x:0:\n");
  for (const f of ["shadow", "gshadow"]) {
    await Deno.writeTextFile(`${dir}/etc/${f}`, "", { mode: 0o640 });
  }
  await Deno.writeTextFile(`${dir}/usr/sbin/nologin`, "", { mode: 0o755 });
  return dir;
}

async function fixtures(dir: string) {
  const binary = `${dir}.bin`;
  await Deno.writeTextFile(binary, "#!/bin/sh\necho edge-runtime\n");
  const token = `${dir}.token`;
  await Deno.writeTextFile(token, TOKEN, { mode: 0o600 });
  return { binary, token };
}

async function cleanup(dir: string) {
  for (const p of [dir, `${dir}.bin`, `${dir}.token`]) {
    await Deno.remove(p, { recursive: true }).catch(() => {});
  }
}

function idOf(file: string, name: string): number {
  const line = Deno.readTextFileSync(file).split("\n").find((l) =>
    l.startsWith(`${name}:`)
  );
  assert(line, `${name} missing from ${file}`);
  return Number(line.split(":")[2]);
}

async function expectFile(
  path: string,
  mode: number,
  uid: number,
  gid: number,
) {
  const st = await Deno.lstat(path);
  assertEquals(
    (st.mode! & 0o7777).toString(8),
    mode.toString(8),
    `mode of ${path}`,
  );
  assertEquals([st.uid, st.gid], [uid, gid], `owner of ${path}`);
}

/** Every path under `dir` with its mode and owner, for before/after equality. */
async function tree(dir: string, at = ""): Promise<string[]> {
  const rows: string[] = [];
  for await (const e of Deno.readDir(`${dir}${at}`)) {
    const p = `${at}/${e.name}`;
    const st = await Deno.lstat(`${dir}${p}`);
    rows.push(`${p} ${(st.mode! & 0o7777).toString(8)} ${st.uid}:${st.gid}`);
    if (e.isDirectory) rows.push(...await tree(dir, p));
  }
  return rows.sort();
}

Deno.test("install.sh --help lists every option and exits 0", async () => {
  const r = await sh(["--help"]);
  assertEquals(r.code, 0, r.out);
  for (
    const opt of [
      "--root DIR",
      "--config FILE",
      "--node-name NAME",
      "--token-file FILE",
      "--hub",
      "--dry-run",
    ]
  ) assertStringIncludes(r.out, opt);
});

Deno.test("install.sh installs the binary, a system user, the config, the token and the enabled unit with tight owners and modes", async () => {
  const dir = await fakeRoot();
  const { binary, token } = await fixtures(dir);
  try {
    const r = await sh([
      "--root",
      dir,
      "--node-name",
      "pi-07",
      "--token-file",
      token,
      binary,
    ]);
    assertEquals(r.code, 0, r.out);
    assert(!r.out.includes(TOKEN.trim()), "install.sh printed the token");

    const passwd = Deno.readTextFileSync(`${dir}/etc/passwd`);
    assertMatch(
      passwd,
      /^edge-runtime:[^:]*:\d+:\d+:[^:]*:\/var\/lib\/edge-runtime:\/usr\/sbin\/nologin$/m,
    );
    const uid = idOf(`${dir}/etc/passwd`, "edge-runtime");
    const gid = idOf(`${dir}/etc/group`, "edge-runtime");
    assert(uid > 0 && uid < 1000, `system uid expected, got ${uid}`);

    await expectFile(`${dir}/usr/local/bin/edge-runtime`, 0o755, 0, 0);
    assertEquals(
      await Deno.readTextFile(`${dir}/usr/local/bin/edge-runtime`),
      await Deno.readTextFile(binary),
    );
    await expectFile(`${dir}/etc/edge-runtime`, 0o750, 0, gid);
    await expectFile(`${dir}/etc/edge-runtime/edge.yaml`, 0o640, 0, gid);
    await expectFile(`${dir}/etc/edge-runtime/join-token`, 0o600, uid, gid);
    assertEquals(
      await Deno.readTextFile(`${dir}/etc/edge-runtime/join-token`),
      TOKEN,
    );
    await expectFile(`${dir}/var/lib/edge-runtime`, 0o700, uid, gid);
    await expectFile(
      `${dir}/etc/systemd/system/edge-runtime.service`,
      0o644,
      0,
      0,
    );
    assertEquals(
      await Deno.readTextFile(`${dir}/etc/systemd/system/edge-runtime.service`),
      await Deno.readTextFile(`${ROOT}/config/edge-runtime.service`),
    );
    assertEquals(
      await Deno.readLink(
        `${dir}/etc/systemd/system/multi-user.target.wants/edge-runtime.service`,
      ),
      "/etc/systemd/system/edge-runtime.service",
    );

    // The generated config names the node and the token file, and the real
    // program accepts it.
    const cfg = parseYaml(
      await Deno.readTextFile(`${dir}/etc/edge-runtime/edge.yaml`),
    );
    assertEquals(cfg.node.name, "pi-07");
    assertEquals(cfg.identity.tokenFile, "/etc/edge-runtime/join-token");
    assertEquals(cfg.vault.tokenFile, null);
    const check = await runBinary(
      "check-config",
      "--config",
      `${dir}/etc/edge-runtime/edge.yaml`,
    );
    assertEquals(check.code, 0, check.stdout + check.stderr);
  } finally {
    await cleanup(dir);
  }
});

Deno.test("install.sh run twice keeps an edited config, adds no second user and leaves the same tree", async () => {
  const dir = await fakeRoot();
  const { binary, token } = await fixtures(dir);
  try {
    const args = ["--root", dir, "--token-file", token, binary];
    assertEquals((await sh(args)).code, 0);
    const cfgPath = `${dir}/etc/edge-runtime/edge.yaml`;
    const edited = (await Deno.readTextFile(cfgPath)).replace(
      "name: pi-1",
      "name: edited-by-operator",
    );
    await Deno.writeTextFile(cfgPath, edited);
    const before = await tree(dir);

    const again = await sh(args);
    assertEquals(again.code, 0, again.out);
    assertStringIncludes(again.out, "= keep");
    assert(!again.out.includes("useradd"), "useradd ran again");
    assertEquals(await Deno.readTextFile(cfgPath), edited);
    const users = Deno.readTextFileSync(`${dir}/etc/passwd`).split("\n")
      .filter((l) => l.startsWith("edge-runtime:"));
    assertEquals(users.length, 1);
    assertEquals(await tree(dir), before);
  } finally {
    await cleanup(dir);
  }
});

Deno.test("install.sh --dry-run prints each action and changes nothing", async () => {
  const dir = await fakeRoot();
  const { binary } = await fixtures(dir);
  try {
    const before = await tree(dir);
    const passwd = await Deno.readTextFile(`${dir}/etc/passwd`);
    const r = await sh(["--dry-run", "--root", dir, binary]);
    assertEquals(r.code, 0, r.out);
    assertStringIncludes(r.out, "+ useradd --prefix");
    assertStringIncludes(r.out, "/usr/local/bin/edge-runtime");
    assertStringIncludes(r.out, "edge-runtime.service");
    assertStringIncludes(r.out, "dry run: nothing was changed");
    assertEquals(await tree(dir), before);
    assertEquals(await Deno.readTextFile(`${dir}/etc/passwd`), passwd);
  } finally {
    await cleanup(dir);
  }
});

Deno.test("install.sh refuses to run without root and says so", async () => {
  const dir = await fakeRoot();
  const { binary } = await fixtures(dir);
  try {
    await Deno.chmod(dir, 0o755);
    await Deno.chmod(binary, 0o644);
    const before = await tree(dir);
    const r = await sh(["--root", dir, binary], { asNobody: true });
    assertEquals(r.code, 1, r.out);
    assertStringIncludes(r.out, "must run as root");
    assertEquals(await tree(dir), before);
  } finally {
    await cleanup(dir);
  }
});

Deno.test("install.sh rejects a token file that is not a join token without echoing it, and bad usage with exit 2", async () => {
  const dir = await fakeRoot();
  const { binary, token } = await fixtures(dir);
  try {
    await Deno.writeTextFile(token, "hunter2-not-a-token\n");
    const r = await sh(["--root", dir, "--token-file", token, binary]);
    assertEquals(r.code, 1, r.out);
    assertStringIncludes(r.out, "does not hold a join token");
    assert(!r.out.includes("hunter2"), "the rejected token was printed");
    assert(!(await Deno.stat(`${dir}/usr/local`).catch(() => null)));

    assertEquals((await sh(["--root", dir])).code, 2);
    assertEquals((await sh(["--bogus", binary])).code, 2);
    const name = await sh(["--root", dir, "--node-name", "Bad_Name", binary]);
    assertEquals(name.code, 2, name.out);
    assertStringIncludes(name.out, "--node-name");
  } finally {
    await cleanup(dir);
  }
});

Deno.test("install.sh --hub installs the hub's own user, config and unit", async () => {
  const dir = await fakeRoot();
  const { binary } = await fixtures(dir);
  try {
    const r = await sh(["--hub", "--root", dir, binary]);
    assertEquals(r.code, 0, r.out);
    const uid = idOf(`${dir}/etc/passwd`, "edge-runtime-hub");
    const gid = idOf(`${dir}/etc/group`, "edge-runtime-hub");
    await expectFile(`${dir}/etc/edge-runtime-hub/hub.yaml`, 0o640, 0, gid);
    await expectFile(`${dir}/var/lib/edge-runtime-hub`, 0o700, uid, gid);
    assertEquals(
      await Deno.readTextFile(`${dir}/etc/edge-runtime-hub/hub.yaml`),
      await Deno.readTextFile(`${ROOT}/config/hub.example.yaml`),
    );
    assertEquals(
      await Deno.readTextFile(
        `${dir}/etc/systemd/system/edge-runtime-hub.service`,
      ),
      await Deno.readTextFile(`${ROOT}/config/edge-runtime-hub.service`),
    );
    assert(
      !(await Deno.stat(`${dir}/etc/edge-runtime`).catch(() => null)),
      "--hub also installed the device runtime",
    );
  } finally {
    await cleanup(dir);
  }
});
