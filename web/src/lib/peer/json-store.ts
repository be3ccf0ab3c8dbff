import type { LevelDatabase } from '@quire/crdt'

/**
 * Small JSON records in one sublevel of the app's database (the profile, the project list). Values are read
 * back through the caller's own validation: IndexedDB content is as untrusted as anything else.
 */
export class JsonStore {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly #store: any

  constructor(db: LevelDatabase, sublevel: string) {
    this.#store = db.sublevel<string, string>(sublevel, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  }

  async get(key: string): Promise<unknown> {
    const raw = (await this.#store.get(key)) as string | undefined
    if (raw === undefined) return undefined
    try {
      return JSON.parse(raw) as unknown
    } catch {
      return undefined
    }
  }

  async put(key: string, value: unknown): Promise<void> {
    await this.#store.put(key, JSON.stringify(value))
  }

  async del(key: string): Promise<void> {
    await this.#store.del(key)
  }

  async entries(): Promise<Array<[string, unknown]>> {
    const out: Array<[string, unknown]> = []
    for await (const [key, raw] of this.#store.iterator() as AsyncIterable<[string, string]>) {
      try { out.push([key, JSON.parse(raw) as unknown]) } catch { /* a damaged record is skipped */ }
    }
    return out
  }
}
