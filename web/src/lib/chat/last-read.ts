/**
 * The last-read mark of a chat: per device, outside the document (reading is not a collaborative act).
 */

/** Where a chat's last-read time is kept. */
export interface LastReadStore {
  /** The time (ms since 1970) of the newest message read; 0 when never read. */
  get(): number
  set(time: number): void
}

/** A store in memory (tests, or when storage is unavailable). */
export function memoryLastRead(initial = 0): LastReadStore {
  let value = initial
  return {
    get: () => value,
    set: (time) => {
      value = time
    },
  }
}

/**
 * A store in `localStorage` under `quire:chat-read:<key>` (use the chat document's URL, or project id and
 * chat URL). Falls back to memory when storage is blocked (private windows, sandboxed frames).
 */
export function localStorageLastRead(key: string): LastReadStore {
  const storageKey = `quire:chat-read:${key}`
  const fallback = memoryLastRead()
  const storage = (): Storage | undefined => {
    try {
      return globalThis.localStorage
    } catch {
      return undefined
    }
  }
  return {
    get() {
      try {
        const raw = storage()?.getItem(storageKey)
        const value = raw == null ? NaN : Number(raw)
        return Number.isFinite(value) && value >= 0 ? value : fallback.get()
      } catch {
        return fallback.get()
      }
    },
    set(time) {
      fallback.set(time)
      try {
        storage()?.setItem(storageKey, String(time))
      } catch {
        // Quota or blocked storage: the mark lives in memory for this session.
      }
    },
  }
}
