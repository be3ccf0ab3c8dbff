/**
 * Reactive presence for one project: a {@link PresenceTracker} on the project document's handle, read
 * through getters that Svelte effects and templates track.
 */
import { createSubscriber } from 'svelte/reactivity'
import type { PeerPresence, PresenceActivity, PresenceCursor, PresenceSelf, PresenceState } from './presence-protocol.js'
import { PresenceTracker, type PresenceChannel, type PresenceOptions } from './presence-tracker.js'

export class ProjectPresence {
  readonly #tracker: PresenceTracker
  readonly #subscribe: () => void

  /**
   * @param channel the project document's DocHandle (anything with `broadcast` and `ephemeral-message`)
   * @param self who we are; call {@link start} to begin broadcasting
   */
  constructor(channel: PresenceChannel, self: PresenceSelf, options: PresenceOptions = {}) {
    this.#tracker = new PresenceTracker(channel, self, options)
    this.#subscribe = createSubscriber((update) => this.#tracker.subscribe(update))
  }

  /** Other peers present in the project, sorted by name. */
  get peers(): readonly PeerPresence[] {
    this.#subscribe()
    return this.#tracker.peers()
  }

  /** Our own broadcast state. */
  get local(): PresenceState {
    this.#subscribe()
    return this.#tracker.local()
  }

  /** Peers whose focus is exactly `fileId` (a file, or a part of one such as a notebook cell). */
  peersIn(fileId: string): PeerPresence[] {
    return this.peers.filter((p) => p.fileId === fileId)
  }

  /**
   * Peers anywhere in file `fileId`, parts included: a part's presence id is `<fileId>_<part>` (file ids
   * never contain `_`), e.g. the notebook's `<fileId>_cell_<cellId>`.
   */
  peersInFile(fileId: string): PeerPresence[] {
    return this.peers.filter((p) => p.fileId !== undefined && (p.fileId === fileId || p.fileId.startsWith(fileId + '_')))
  }

  start(): void {
    this.#tracker.start()
  }

  /** Says goodbye; call on page hide or when the project closes. */
  stop(): void {
    this.#tracker.stop()
  }

  setSelf(self: Partial<Omit<PresenceSelf, 'peerId'>>): void {
    this.#tracker.setSelf(self)
  }

  setActivity(activity: PresenceActivity): void {
    this.#tracker.setActivity(activity)
  }

  /** Focus moved to `fileId` (or nowhere with null). */
  setFile(fileId: string | null): void {
    this.#tracker.setActivity({ fileId })
  }

  setCursor(cursor: PresenceCursor | null): void {
    this.#tracker.setActivity({ cursor })
  }

  noteTyping(): void {
    this.#tracker.noteTyping()
  }
}
