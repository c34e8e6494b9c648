/** Start the real runtime process (the binary's flags) for identity tests. */
import { cliFlags } from "../../scripts/_build.ts";
import { ROOT } from "../_fixtures/cli.ts";

/** Options of {@link writeEdgeConfig}. */
export interface EdgeConfigOptions {
  hubUrl: string;
  tokenFile: string;
  stateDir: string;
  socketPath: string;
  renewAfterMin?: number;
  renewAfterMax?: number;
  backoffInitial?: string;
  backoffMax?: string;
  extra?: string;
}

/** Write an edge config for tests; returns its path. */
export async function writeEdgeConfig(
  dir: string,
  o: EdgeConfigOptions,
): Promise<string> {
  const path = `${dir}/edge.yaml`;
  await Deno.writeTextFile(
    path,
    `node:
  name: pi-1
stateDir: ${o.stateDir}
log:
  level: debug
  format: json
identity:
  tokenFile: ${o.tokenFile}
  renewal:
    renewAfterMin: ${o.renewAfterMin ?? 0.7}
    renewAfterMax: ${o.renewAfterMax ?? 0.9}
    backoffInitial: ${o.backoffInitial ?? "2s"}
    backoffMax: ${o.backoffMax ?? "32s"}
hub:
  httpServer: ${o.hubUrl}
  messageApi:
    socketPath: ${dir}/messages.sock
workloadApi:
  enabled: false
admin:
  socketPath: ${o.socketPath}
${o.extra ?? ""}`,
  );
  return path;
}

/** Spawn `src/main.ts run --config <path>` like the binary. */
export async function spawnRuntime(
  configPath: string,
  stderr: "piped" | "null" = "null",
): Promise<Deno.ChildProcess> {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...await cliFlags(ROOT),
      "src/main.ts",
      "run",
      "--config",
      configPath,
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr,
    env: { NO_COLOR: "1" },
  }).spawn();
}
