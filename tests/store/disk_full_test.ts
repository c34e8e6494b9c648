/**
 * Disk full on a real (tiny tmpfs) filesystem. Runs as root here; otherwise
 * the same scenario runs under `unshare --user --map-root-user --mount`, and
 * if that is impossible the test fails saying root is needed.
 * @module
 */
import { diskFullScenario } from "./_disk_full_scenario.ts";

Deno.test("a full disk fails the write clearly, leaves no temp file and keeps the old value", async () => {
  const mnt = await Deno.makeTempDir({ prefix: "store-diskfull-" });
  try {
    if (Deno.uid() === 0) {
      await diskFullScenario(mnt);
      return;
    }
    const script =
      new URL("./_disk_full_scenario.ts", import.meta.url).pathname;
    const out = await new Deno.Command("unshare", {
      args: [
        "--user",
        "--map-root-user",
        "--mount",
        Deno.execPath(),
        "run",
        "-A",
        script,
        mnt,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output().catch((err) => {
      throw new Error(
        `this test needs root (to mount a tmpfs) or unshare: ${err}`,
      );
    });
    if (!out.success) {
      throw new Error(
        "disk-full scenario failed; it needs root or unprivileged user namespaces " +
          `to mount a tmpfs:\n${new TextDecoder().decode(out.stderr)}`,
      );
    }
  } finally {
    await Deno.remove(mnt, { recursive: true });
  }
});
