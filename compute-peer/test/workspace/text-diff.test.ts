import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { next as A } from '@automerge/automerge'
import { applySplices, textSplices } from '../../src/workspace/text-diff.js'

type Doc = { content: string }

const ACTORS = ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'] as const

/**
 * `base`, then a member's edit and a disk edit made concurrently from it, merged; once with each order of the
 * two actors, since concurrent inserts at one place are ordered by actor.
 */
function merge(base: string, member: (d: Doc) => void, disk: string): string[] {
  const start = A.from<Doc>({ content: base })
  return [[0, 1], [1, 0]].map(([m, c]) => {
    const theirs = A.change(A.clone(start, { actor: ACTORS[m!] }), member)
    const ours = A.change(A.clone(start, { actor: ACTORS[c!] }), (d) => {
      applySplices(textSplices(d.content, disk), (at, remove, insert) => A.splice(d, ['content'], at, remove, insert))
    })
    return A.merge(ours, theirs).content
  })
}

describe('disk edits as text splices', () => {
  it('[W30] a file rewritten with unrelated text is replaced whole: a member\'s concurrent line stays intact beside it', () => {
    // A character diff (Automerge's updateText) kept letters the two texts share, and with one order of the
    // actors put the member's line inside the new one: "<crea<doc0-0>\nted-1>\n".
    for (const merged of merge('init-a\n', (d) => A.splice(d, ['content'], 0, 0, '<doc0-0>\n'), '<created-1>\n')) {
      expect(merged).toContain('<created-1>\n')
      expect(merged).toContain('<doc0-0>\n')
      expect(merged.length).toBe('<created-1>\n<doc0-0>\n'.length)
    }
  })

  it('[W30] a line that mostly stays is diffed by characters: a member\'s concurrent edit of the same line merges', () => {
    const merged = merge('hello world\nsecond line\n', (d) => A.splice(d, ['content'], 11, 0, '!'), 'hello there world\nsecond line\n')
    expect(merged).toEqual(['hello there world!\nsecond line\n', 'hello there world!\nsecond line\n'])
  })

  it('[W30] applying the splices of any two texts turns the first into the second', () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'c', '\n', 'xy', 'é'), { maxLength: 40 }).map((parts) => parts.join(''))
    fc.assert(fc.property(text, text, (from, to) => {
      let out = from
      applySplices(textSplices(from, to), (at, remove, insert) => { out = out.slice(0, at) + insert + out.slice(at + remove) })
      expect(out).toBe(to)
    }), { numRuns: 500 })
  })
})
