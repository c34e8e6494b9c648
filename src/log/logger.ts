/**
 * The one logger: structured, levelled, secret-scrubbing. JSON lines by
 * default when stderr is not a terminal, a readable line when it is.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: "info" }).child({ component: "store" });
 * log.info("state saved", { unit: "identity" });
 * ```
 * @module
 */
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";
import { redact, redactString } from "./redact.ts";

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";
/** Output format; `auto` = text on a TTY, JSON otherwise. */
export type LogFormat = "json" | "text" | "auto";

const ORDER: Record<LogLevel, number> = {
  debug: 0,
  info: 1,
  warn: 2,
  error: 3,
};

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** A structured logger. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level written. @default "info" */
  level?: LogLevel;
  /** @default "auto" */
  format?: LogFormat;
  /** Sink for finished lines (without newline). @default stderr */
  write?: (line: string) => void;
  /** @default systemClock */
  clock?: Clock;
}

const encoder = new TextEncoder();

/** Create a logger. Secrets in messages and fields are scrubbed. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? "info"];
  const clock = options.clock ?? systemClock;
  const write = options.write ??
    ((line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n")));
  const format = options.format === "auto" || options.format === undefined
    ? (isTerminal() ? "text" : "json")
    : options.format;

  const make = (base: LogFields): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (ORDER[level] < min) return;
      const clean = redact({ ...base, ...fields }) as LogFields;
      const time = new Date(clock.now()).toISOString();
      const text = redactString(msg);
      write(
        format === "json"
          ? JSON.stringify({ time, level, msg: text, ...clean })
          : formatText(time, level, text, clean),
      );
    };
    return {
      debug: (m, f) => emit("debug", m, f),
      info: (m, f) => emit("info", m, f),
      warn: (m, f) => emit("warn", m, f),
      error: (m, f) => emit("error", m, f),
      child: (f) => make({ ...base, ...f }),
    };
  };
  return make({});
}

/** A logger that drops everything (the default for library code). */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => nullLogger,
};

function formatText(
  time: string,
  level: LogLevel,
  msg: string,
  fields: LogFields,
): string {
  const kv = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${
    kv ? "  " + kv : ""
  }`;
}

function isTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}
