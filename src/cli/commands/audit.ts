import type { Command } from "../command.ts";
import { EdgeError } from "../../errors.ts";

/** `edge-runtime audit verify FILE`: check the hub audit log's hash chain. */
export const auditCommand: Command = {
  name: "audit",
  summary: "verify the hub's hash-chained audit log",
  usage: "edge-runtime audit verify FILE",
  description: `
Checks every line of the audit log (stateDir/audit.log): its own hash, the
hash of the line before it, and consecutive sequence numbers. Prints "OK"
with the number of lines, or the first tampered or missing line (exit 1).
Lines cut off the end of the file cannot be detected from the file alone.`,
  flags: {},
  async run(args, io) {
    const [sub, file] = args.positionals;
    if (sub !== "verify") {
      throw new EdgeError(
        "USAGE",
        sub
          ? `unknown audit subcommand "${sub}"`
          : "missing subcommand (verify)",
      );
    }
    if (!file) throw new EdgeError("USAGE", "audit verify: missing FILE");
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (cause) {
      throw new EdgeError(
        "USAGE",
        `cannot read "${file}": ${(cause as Error).message}`,
        { cause },
      );
    }
    const { verifyAuditLog } = await import("../../hubserver/mod.ts");
    const v = await verifyAuditLog(text);
    if (v.ok) {
      io.stdout(`OK: ${v.lines} lines, hash chain intact\n`);
      return 0;
    }
    throw new EdgeError(
      "AUDIT_TAMPERED",
      `${file}: line ${v.firstBad!.line}: ${v.firstBad!.reason}`,
    );
  },
};
