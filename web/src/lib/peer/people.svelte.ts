/**
 * Display names and colours of the peers this browser has met (through presence), kept in IndexedDB so a
 * member who is offline, or who wrote a chat message last week, still shows by name and not as a peer id.
 * Names are what peers claim about themselves: shown, never trusted for anything.
 */
import { SvelteMap } from 'svelte/reactivity'
import type { JsonStore } from './json-store.js'
import { cleanProfile, defaultProfile, type ProfileData } from './profile.svelte.js'

const MAX_PEOPLE = 2_000

export class People {
  readonly #known = new SvelteMap<string, ProfileData>()
  readonly #store: JsonStore
  readonly #pending = new Map<string, ProfileData>()
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(store: JsonStore) {
    this.#store = store
  }

  async load(): Promise<void> {
    for (const [peerId, value] of (await this.#store.entries()).slice(0, MAX_PEOPLE)) {
      this.#known.set(peerId, cleanProfile(value, defaultProfile(peerId)))
    }
  }

  /** The name and colour last seen for `peerId`, if any. */
  get(peerId: string): ProfileData | undefined {
    return this.#known.get(peerId)
  }

  /** Everyone known, as ChatPanel's `people` prop wants it. */
  get all(): Record<string, ProfileData> {
    return Object.fromEntries(this.#known)
  }

  /** Records what a peer calls itself now; writes are batched. */
  remember(peerId: string, profile: { name: string; color: string }): void {
    const clean = cleanProfile(profile, defaultProfile(peerId))
    const known = this.#known.get(peerId)
    if (known?.name === clean.name && known.color === clean.color) return
    if (known === undefined && this.#known.size >= MAX_PEOPLE) return
    this.#known.set(peerId, clean)
    this.#pending.set(peerId, clean)
    this.#timer ??= setTimeout(() => { void this.flush() }, 1_000)
  }

  async flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    const batch = [...this.#pending]
    this.#pending.clear()
    for (const [peerId, profile] of batch) await this.#store.put(peerId, profile).catch(() => undefined)
  }
}
