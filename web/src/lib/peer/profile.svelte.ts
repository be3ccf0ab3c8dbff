/** This browser's display name and colour: editable, persisted, shown to collaborators through presence. */
import type { JsonStore } from './json-store.js'

export interface ProfileData {
  readonly name: string
  readonly color: string
}

/** Colours readable on a light background and distinct from each other. */
export const PROFILE_COLORS = ['#2563eb', '#db2777', '#16a34a', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#dc2626'] as const

const KEY = 'profile'
const MAX_NAME = 60

/** A stable default for a peer: the same peer gets the same colour everywhere. */
export function defaultProfile(peerId: string): ProfileData {
  let h = 0
  for (const ch of peerId) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return { name: `Guest ${peerId.slice(-4)}`, color: PROFILE_COLORS[h % PROFILE_COLORS.length]! }
}

/** Cleans a profile read from storage or a peer; junk falls back to `fallback`'s fields. */
export function cleanProfile(value: unknown, fallback: ProfileData): ProfileData {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
  const name = typeof v['name'] === 'string' && v['name'].trim() !== '' ? v['name'].trim().slice(0, MAX_NAME) : fallback.name
  const color = typeof v['color'] === 'string' && /^#[0-9a-f]{6}$/i.test(v['color']) ? v['color'] : fallback.color
  return { name, color }
}

export class Profile {
  #data = $state<ProfileData>({ name: '', color: PROFILE_COLORS[0] })
  readonly #store: JsonStore
  readonly #fallback: ProfileData

  constructor(store: JsonStore, peerId: string) {
    this.#store = store
    this.#fallback = defaultProfile(peerId)
    this.#data = this.#fallback
  }

  get name(): string { return this.#data.name }
  get color(): string { return this.#data.color }
  get data(): ProfileData { return this.#data }

  async load(): Promise<void> {
    this.#data = cleanProfile(await this.#store.get(KEY), this.#fallback)
  }

  /** Changes and persists the profile; blank fields keep their current value. */
  async update(patch: Partial<ProfileData>): Promise<void> {
    this.#data = cleanProfile({ ...this.#data, ...patch }, this.#data)
    await this.#store.put(KEY, this.#data)
  }
}
