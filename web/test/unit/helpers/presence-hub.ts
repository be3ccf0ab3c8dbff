import type { PresenceChannel } from '../../../src/lib/presence/presence-tracker.js'

type Listener = (payload: { senderId: string; message: unknown }) => void

/** Channels on one in-memory "document": a broadcast reaches every other channel, as with DocHandles. */
export class Hub {
  readonly channels = new Map<string, Set<Listener>>()
  sent: Array<{ from: string; message: unknown }> = []
  /** Senders whose messages are lost (a frozen tab). */
  readonly muted = new Set<string>()

  channel(senderId: string): PresenceChannel & { inject(message: unknown, from?: string): void } {
    const listeners = new Set<Listener>()
    this.channels.set(senderId, listeners)
    return {
      broadcast: (message) => {
        this.sent.push({ from: senderId, message })
        if (this.muted.has(senderId)) return
        // Structured clone, like a wire.
        const copy = structuredClone(message)
        for (const [id, ls] of this.channels) if (id !== senderId) for (const l of ls) l({ senderId, message: copy })
      },
      on: (_event, listener) => listeners.add(listener),
      off: (_event, listener) => listeners.delete(listener),
      inject: (message, from = 'mallory') => {
        for (const l of listeners) l({ senderId: from, message })
      },
    }
  }
}

