import { describe, expect, it } from 'vitest'
import { setTextChunkLimit } from '../src/index.js'
import { loadConcurrentTrace, replayConcurrentTrace, type ConcurrentTrace } from './helpers/traces.js'

const long = process.env.QUIRE_LONG === '1'

// Applying another actor's change costs Automerge 3.5 about 0.5 ms here (a local change about 0.2 ms), and a
// replay applies nearly every change to every other agent: friendsforever (2 agents, 26,078 txns) takes about
// 17 s of CPU, clownschool (3 agents, 23,136 txns) about 22 s; twice that on a loaded machine. So the normal
// run replays friendsforever whole and the first CLOWNSCHOOL_PREFIX txns of clownschool; QUIRE_LONG=1 replays
// clownschool whole too.
const CLOWNSCHOOL_PREFIX = 8000
const REPLAY_TIMEOUT = 240_000
const CHUNKED_PREFIX = 3000

function expectConverged(result: ReturnType<typeof replayConcurrentTrace>): void {
  for (const text of result.texts.slice(1)) expect(text === result.texts[0]).toBe(true)
  for (const heads of result.heads.slice(1)) expect([...heads].sort()).toEqual([...result.heads[0]!].sort())
}

describe('concurrent editing traces replayed as Automerge peers', () => {
  it('[X1] friendsforever: every agent ends with the trace\'s endContent', () => {
    const trace = loadConcurrentTrace('friendsforever')
    const result = replayConcurrentTrace(trace)
    expect(result.txns).toBe(trace.txns.length)
    expectConverged(result)
    expect(result.texts[0]!.length).toBe(trace.endContent.length)
    expect(result.texts[0] === trace.endContent).toBe(true)
  }, REPLAY_TIMEOUT)

  if (long) {
    it('[X1] clownschool: every agent ends with the trace\'s endContent', () => {
      const trace = loadConcurrentTrace('clownschool')
      const result = replayConcurrentTrace(trace)
      expect(result.txns).toBe(trace.txns.length)
      expectConverged(result)
      expect(result.texts[0] === trace.endContent).toBe(true)
    }, REPLAY_TIMEOUT * 2)
  } else {
    it(`[X2] clownschool, first ${CLOWNSCHOOL_PREFIX} txns: every patch fits its parents' state and all agents converge`, () => {
      const trace = loadConcurrentTrace('clownschool')
      const result = replayConcurrentTrace(trace, CLOWNSCHOOL_PREFIX)
      expect(result.txns).toBe(CLOWNSCHOOL_PREFIX)
      expectConverged(result)
      expect(result.texts[0]!.length).toBeGreaterThan(0)
    }, REPLAY_TIMEOUT)
  }

  // Chunked replays lay out the chunks on every patch: the whole trace takes minutes on a loaded machine, so
  // the normal run replays a prefix and compares it with the plain replay; QUIRE_LONG=1 replays it all.
  it(`[T23] friendsforever through chunked text documents (chunks of 256): ${long ? 'the whole trace ends with its endContent' : `the first ${CHUNKED_PREFIX} txns end as the plain replay`}`, () => {
    const trace = loadConcurrentTrace('friendsforever')
    const previous = setTextChunkLimit(256)
    try {
      const limit = long ? trace.txns.length : CHUNKED_PREFIX
      const result = replayConcurrentTrace(trace, limit, { chunked: true })
      expectConverged(result)
      const expected = long ? trace.endContent : replayConcurrentTrace(trace, limit).texts[0]!
      expect(result.texts[0]!.length).toBeGreaterThan(256) // several chunks
      expect(result.texts[0] === expected).toBe(true)
    } finally {
      setTextChunkLimit(previous)
    }
  }, REPLAY_TIMEOUT * 3)

  it('[X3] a txn applies to the merge of its parents, even when its agent has seen more', () => {
    // Agent 0 types "ab", then "c" after it; agent 1 concurrently deletes "a"; then agent 0, from the state
    // "ab" only (parents [0]), inserts "X" at 0; agent 1 merges everything and deletes "b"; agent 2 also
    // deletes "a" concurrently, so it is deleted once.
    const trace: ConcurrentTrace = {
      kind: 'concurrent',
      numAgents: 3,
      endContent: 'Xc!',
      txns: [
        { parents: [], agent: 0, patches: [[0, 0, 'ab']] },
        { parents: [0], agent: 0, patches: [[2, 0, 'c']] },
        { parents: [0], agent: 1, patches: [[0, 1, '']] },
        { parents: [0], agent: 0, patches: [[0, 0, 'X']] },
        { parents: [0], agent: 2, patches: [[0, 1, '']] },
        { parents: [1, 2, 3, 4], agent: 1, patches: [[1, 1, ''], [2, 0, '!']] },
      ],
    }
    const result = replayConcurrentTrace(trace)
    expect(result.changedAtOldHeads).toBe(1)
    expectConverged(result)
    expect(result.texts).toEqual(['Xc!', 'Xc!', 'Xc!'])
  })
})
