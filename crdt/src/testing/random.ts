/**
 * A small seeded pseudo-random generator for reproducible tests (sfc32, seeded through splitmix32 so that
 * nearby seeds such as 1, 2, 3 give unrelated streams). Not for anything secret.
 */

/** A seeded source of random choices. The same seed always gives the same sequence. */
export interface Random {
  /** The seed this generator started from. */
  readonly seed: number
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number
  /** True with probability `p`. */
  chance(p: number): boolean
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T
  /** A copy of `items` in random order. */
  shuffle<T>(items: readonly T[]): T[]
  /** A new generator whose stream depends only on this one's current state: for independent sub-streams. */
  fork(): Random
}

function splitmix32(state: number): () => number {
  let s = state >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** Creates a generator from a 32-bit seed (other numbers are truncated to 32 bits). */
export function createRandom(seed: number): Random {
  const init = splitmix32(seed)
  let a = init()
  let b = init()
  let c = init()
  let d = init()
  const nextU32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  // The first outputs of sfc32 are weakly mixed; discard a few as its author recommends.
  for (let i = 0; i < 12; i++) nextU32()

  const random: Random = {
    seed: seed >>> 0,
    next: () => nextU32() / 4294967296,
    int(min, max) {
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
        throw new RangeError(`int(${min}, ${max}) needs integers with min <= max.`)
      }
      return min + Math.floor(random.next() * (max - min + 1))
    },
    chance: (p) => p > 0 && random.next() < p,
    pick(items) {
      if (items.length === 0) throw new RangeError('pick() needs a non-empty array.')
      return items[Math.floor(random.next() * items.length)] as (typeof items)[number]
    },
    shuffle(items) {
      const out = [...items]
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random.next() * (i + 1))
        const tmp = out[i] as (typeof out)[number]
        out[i] = out[j] as (typeof out)[number]
        out[j] = tmp
      }
      return out
    },
    fork: () => createRandom(nextU32()),
  }
  return random
}
