/**
 * The crash-safe state store: {@link openStore}, the injectable filesystem
 * ({@link StoreFs}, {@link denoFs}) and the state-dir lock ({@link lockDir}).
 * @module
 */
export * from "./store.ts";
export { denoFs, type StoreFs, type StoreStat } from "./fs.ts";
export { LOCK_FILE, lockDir, type StoreLock } from "./lock.ts";
export {
  type AppendLog,
  type AppendLogOptions,
  openAppendLog,
} from "./append_log.ts";
