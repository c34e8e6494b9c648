/**
 * The one clock. Every wait and every "now" goes through a {@link Clock} so
 * tests drive schedules with a fake clock (see `tests/_fixtures/clock.ts`).
 * @module
 */

/** Time source and timer. */
export interface Clock {
  /** Current time in milliseconds since the epoch. */
  now(): number;
  /**
   * Resolve after `ms` milliseconds; rejects with the signal's reason when
   * `signal` aborts first.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The timer functions of Deno's core, below the global `setTimeout`. */
interface CoreTimers {
  createTimer(
    cb: () => void,
    ms: number,
    args: undefined,
    repeat: boolean,
    ref: boolean,
  ): unknown;
  cancelTimer(timer: unknown): void;
}

const core = Deno as unknown as
  & { internal?: symbol }
  & Record<
    symbol,
    { core?: Partial<CoreTimers> } | undefined
  >;
const coreTimers: CoreTimers | undefined = (() => {
  const c = core.internal === undefined ? undefined : core[core.internal]?.core;
  return typeof c?.createTimer === "function" &&
      typeof c.cancelTimer === "function"
    ? c as CoreTimers
    : undefined;
})();

/**
 * True when {@link schedule} runs on Deno's core timer list. Deno's global
 * `setTimeout` is Node's timers module, loaded on its first call (with
 * async hooks, errors, util): ~14 ms of CPU at start-up, before the
 * Workload API could answer. Without the core timers (another Deno),
 * {@link schedule} uses `setTimeout`.
 */
export const usesCoreTimers = coreTimers !== undefined;

/** Options of {@link schedule}. */
export interface ScheduleOptions {
  /** Whether the timer keeps the process alive. @default true */
  ref?: boolean;
}

/**
 * Run `cb` once after `ms` milliseconds; returns the function that cancels
 * it. The one real timer: {@link systemClock} and the few raw timeouts (a
 * connection's grace period, start-up's first-call wait) use it.
 */
export function schedule(
  cb: () => void,
  ms: number,
  options: ScheduleOptions = {},
): () => void {
  const ref = options.ref ?? true;
  if (coreTimers) {
    const t = coreTimers.createTimer(
      cb,
      Math.max(1, ms),
      undefined,
      false,
      ref,
    );
    return () => coreTimers.cancelTimer(t);
  }
  const t = setTimeout(cb, Math.max(0, ms));
  if (!ref) Deno.unrefTimer(t);
  return () => clearTimeout(t);
}

/** The real clock (Date.now + {@link schedule}). */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        cancel();
        reject(signal!.reason);
      };
      const cancel = schedule(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};
