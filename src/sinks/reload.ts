/**
 * Tell a program its files changed: send a signal to a pid (or the pid in a
 * pid file), or run a command (argv list, no shell). Throws `SINK_FAILED`
 * naming what failed; never includes file contents.
 * @module
 */
import { EdgeError } from "../errors.ts";

/** How to reload the consumer of a sink. */
export interface ReloadAction {
  /** Command run (no shell) after the files change. */
  command?: readonly string[];
  /** Pid to signal. */
  pid?: number;
  /** File holding the pid to signal (read each time). */
  pidFile?: string;
  /** Signal sent. @default "SIGHUP" */
  signal?: Deno.Signal;
  /** Longest time a command may run. @default 30_000 */
  timeoutMs?: number;
}

/** Perform `action`; resolves when done, throws `SINK_FAILED`. */
export async function reload(action: ReloadAction): Promise<void> {
  let pid = action.pid;
  if (action.pidFile !== undefined) {
    const text = await Deno.readTextFile(action.pidFile).catch((cause) => {
      throw new EdgeError(
        "SINK_FAILED",
        `cannot read pid file ${action.pidFile}`,
        { cause },
      );
    });
    if (!/^\s*[1-9]\d*\s*$/.test(text)) {
      throw new EdgeError(
        "SINK_FAILED",
        `pid file ${action.pidFile} does not hold a pid`,
      );
    }
    pid = Number(text.trim());
  }
  if (pid !== undefined) {
    try {
      Deno.kill(pid, action.signal ?? "SIGHUP");
    } catch (cause) {
      throw new EdgeError(
        "SINK_FAILED",
        `cannot signal pid ${pid}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
  if (action.command && action.command.length > 0) {
    const [cmd, ...args] = action.command;
    const signal = AbortSignal.timeout(action.timeoutMs ?? 30_000);
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(cmd, {
        args,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        signal,
      }).output();
    } catch (cause) {
      throw new EdgeError(
        "SINK_FAILED",
        `cannot run reload command ${JSON.stringify(cmd)}`,
        { cause },
      );
    }
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim().slice(0, 200);
      throw new EdgeError(
        "SINK_FAILED",
        `reload command ${JSON.stringify(cmd)} exited with ${
          out.signal ?? out.code
        }${err ? `: ${err}` : ""}`,
      );
    }
  }
}
