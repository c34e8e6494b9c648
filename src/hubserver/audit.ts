/**
 * The hub's audit log: one JSON line per security-relevant event (token
 * create/use/revoke, enrollment, renewal, node intermediate, refusals with
 * their reason, lock/unlock/revoke), hash-chained so that editing, removing
 * or reordering a line is detected by {@link verifyAuditLog}.
 *
 * Line format (keys in this order):
 * `{"seq":N,"time":ISO,"action":…,"outcome":"ok"|"refused",…fields,"prev":HEX,"hash":HEX}`
 * where `prev` is the SHA-256 of the whole previous line (64 zeros for the
 * first) and `hash` the SHA-256 of this line without its `hash` member.
 * Limit: cutting lines off the END of the file is not detectable from the
 * file alone (no external anchor).
 *
 * @example
 * ```ts
 * const audit = await openAuditLog(`${store.dir}/audit.log`);
 * await audit.record({ action: "node.lock", outcome: "ok", node: "pi-01", source: "admin" });
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { toHex } from "../bytes.ts";
import { sha256 } from "../digest.ts";
import { type AppendLog, openAppendLog } from "../store/mod.ts";
import type { Logger } from "../log/mod.ts";

/** What happened. */
export type AuditAction =
  | "token.create"
  | "token.use"
  | "token.revoke"
  | "enroll"
  | "renew"
  | "intermediate"
  | "node.lock"
  | "node.unlock"
  | "node.revoke"
  | "request";

/** One audit event (what the caller supplies). */
export interface AuditEvent {
  action: AuditAction;
  outcome: "ok" | "refused";
  /** Node name concerned, when known. */
  node?: string;
  /** Remote address of the request, or `admin` for the admin API. */
  source?: string;
  /** Serial (hex) of the certificate issued or presented. */
  serial?: string;
  /** Join token id (`jti`), never the token itself. */
  tokenId?: string;
  /** Why it was refused. */
  reason?: string;
  /** HTTP status of a refusal. */
  status?: number;
}

/** The audit log writer. */
export interface AuditLog {
  /** Path of the log file. */
  readonly path: string;
  /** Append `event` (durably) with time, sequence number and hash chain. */
  record(event: AuditEvent): Promise<void>;
  /**
   * Append `events` in order as consecutive lines, written and fsynced
   * together (one durable append for several events of one request).
   */
  recordAll(events: readonly AuditEvent[]): Promise<void>;
  /** Close the file. */
  close(): void;
}

/** Options of {@link openAuditLog}. */
export interface AuditLogOptions {
  /** @default systemClock */
  clock?: Clock;
  logger?: Logger;
  /**
   * Told about events once their lines are durably appended (metrics).
   * Must not throw; an exception is logged and ignored.
   */
  onWritten?: (events: readonly AuditEvent[]) => void;
}

/** `prev` of the first line. */
export const GENESIS_HASH = "0".repeat(64);

const HASH_SUFFIX = /,"hash":"([0-9a-f]{64})"\}$/;

/** Open (creating 0600 if missing) the audit log at `path` and continue its chain. */
export async function openAuditLog(
  path: string,
  options: AuditLogOptions = {},
): Promise<AuditLog> {
  const clock = options.clock ?? systemClock;
  const file: AppendLog = await openAppendLog(path, { logger: options.logger });
  let prev = GENESIS_HASH;
  let seq = 0;
  if (file.lastLine !== undefined) {
    prev = hashHex(file.lastLine);
    try {
      seq = Number((JSON.parse(file.lastLine) as { seq: number }).seq) + 1;
    } catch {
      seq = file.lineCount;
    }
    if (!Number.isSafeInteger(seq)) seq = file.lineCount;
  }
  // Hashing is synchronous, so lines are chained in call order right here;
  // the append (fsync, group-committed with concurrent ones) is awaited.
  const recordAll = (events: readonly AuditEvent[]): Promise<void> => {
    const lines: string[] = [];
    let nextPrev = prev;
    try {
      for (const event of events) {
        const line = encodeLine({
          seq: seq + lines.length,
          time: new Date(clock.now()).toISOString(),
          ...event,
        }, nextPrev);
        nextPrev = hashHex(line);
        lines.push(line);
      }
    } catch (err) {
      return Promise.reject(err); // nothing chained
    }
    prev = nextPrev;
    seq += lines.length;
    const written = file.appendLines(lines);
    const onWritten = options.onWritten;
    if (!onWritten) return written;
    return written.then(() => {
      try {
        onWritten(events);
      } catch (err) {
        options.logger?.warn("audit onWritten hook failed", {
          error: String(err),
        });
      }
    });
  };
  return {
    path,
    record: (event) => recordAll([event]),
    recordAll,
    close: () => file.close(),
  };
}

function hashHex(text: string): string {
  return toHex(sha256(new TextEncoder().encode(text)));
}

/** Encode one line: the fields, `prev`, then `hash` over the rest. */
// deno-lint-ignore require-await -- async so that errors arrive as rejections
export async function encodeAuditLine(
  fields: { seq: number; time: string } & AuditEvent,
  prev: string,
): Promise<string> {
  return encodeLine(fields, prev);
}

function encodeLine(
  fields: { seq: number; time: string } & AuditEvent,
  prev: string,
): string {
  const ordered: Record<string, unknown> = {
    seq: fields.seq,
    time: fields.time,
    action: fields.action,
    outcome: fields.outcome,
  };
  for (
    const key of [
      "node",
      "source",
      "serial",
      "tokenId",
      "status",
      "reason",
    ] as const
  ) {
    if (fields[key] !== undefined) ordered[key] = fields[key];
  }
  ordered.prev = prev;
  const body = JSON.stringify(ordered);
  return `${body.slice(0, -1)},"hash":"${hashHex(body)}"}`;
}

/** Outcome of {@link verifyAuditLog}. */
export interface AuditVerification {
  /** True when every line is intact and none is missing. */
  ok: boolean;
  /** Complete lines read. */
  lines: number;
  /** The first bad line (1-based) and why. */
  firstBad?: { line: number; reason: string };
}

/**
 * Check the hash chain of an audit log's text: each line's own hash, its
 * `prev` against the previous line, and consecutive `seq` numbers from 0.
 * Reports the first tampered or missing line.
 */
// deno-lint-ignore require-await -- async so that errors arrive as rejections
export async function verifyAuditLog(
  text: string,
): Promise<AuditVerification> {
  return verifyLines(text);
}

function verifyLines(text: string): AuditVerification {
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  let prev = GENESIS_HASH;
  const bad = (line: number, reason: string): AuditVerification => ({
    ok: false,
    lines: lines.length,
    firstBad: { line, reason },
  });
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i];
    let parsed: { seq?: unknown; prev?: unknown };
    try {
      parsed = JSON.parse(line);
    } catch {
      return bad(n, "not valid JSON (tampered or torn)");
    }
    const m = HASH_SUFFIX.exec(line);
    if (!m) return bad(n, 'no "hash" member at the end (tampered)');
    const body = line.slice(0, m.index) + "}";
    if (hashHex(body) !== m[1]) {
      return bad(n, "content does not match its hash (tampered)");
    }
    if (typeof parsed.seq !== "number") return bad(n, "no seq (tampered)");
    if (parsed.seq > i) {
      return bad(
        n,
        `${
          parsed.seq - i
        } line(s) missing before it (seq ${parsed.seq}, expected ${i})`,
      );
    }
    if (parsed.seq !== i) {
      return bad(
        n,
        `out of order or duplicated (seq ${parsed.seq}, expected ${i})`,
      );
    }
    if (parsed.prev !== prev) {
      return bad(
        n,
        "its prev hash does not match the line before it (that line was tampered or replaced)",
      );
    }
    prev = hashHex(line);
  }
  return { ok: true, lines: lines.length };
}
