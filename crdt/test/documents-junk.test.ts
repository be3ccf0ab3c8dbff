import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { generateAutomergeUrl } from '@automerge/automerge-repo'
import fc from 'fast-check'
import {
  CrdtError,
  addFile,
  deleteMessage,
  editMessage,
  listTree,
  postMessage,
  readChat,
  readProject,
  readText,
  renamePath,
  setSettings,
  spliceText,
  type ChatDoc,
  type DocumentReadResult,
  type ProjectDoc,
  type TextDoc,
} from '../src/index.js'

const long = process.env.QUIRE_LONG === '1'
const RUNS = long ? 1000 : 150
// Long runs try a fresh seed each time; fast-check prints it with any counterexample.
const SEED = long ? Date.now() % 2 ** 31 : 20261123

const URL_1 = generateAutomergeUrl()

/** Valid documents as plain values (readers accept plain strings as well as atomic ones). */
const validProject = {
  type: 'quire/project',
  schemaVersion: 1,
  name: 'Paper',
  description: 'Draft',
  createdAt: 5,
  owner: 'owner-peer',
  files: {
    f1: { path: 'a/b.txt', kind: 'text', url: URL_1, createdAt: 1 },
    f2: { path: 'pic.png', kind: 'blob', sha256: 'ab'.repeat(32), size: 3, mime: 'image/png', createdAt: 2 },
    f3: { path: 'a', kind: 'folder', createdAt: 3 },
  },
  settings: { computePeer: 'compute-peer', pinnedRelays: ['relay-1'], networkAccess: true },
  grantsUrl: URL_1,
  chatUrl: null,
}
const validChat = {
  type: 'quire/chat',
  schemaVersion: 1,
  fileId: null,
  messages: {
    m1: { author: 'alice', time: 1, text: 'hi', editedAt: null, deleted: false },
    m2: { author: 'bob', time: 2, text: 'yo', editedAt: 3, deleted: false, replyTo: 'm1' },
  },
}
const validText = { type: 'quire/text', schemaVersion: 1, content: 'text' }

type Reader = (doc: unknown) => DocumentReadResult<unknown>
const kinds: Array<{ name: string; valid: Record<string, unknown>; read: Reader; fatal: string[] }> = [
  { name: 'project', valid: validProject, read: readProject, fatal: ['/type'] },
  { name: 'chat', valid: validChat, read: readChat, fatal: ['/type'] },
  { name: 'text', valid: validText, read: readText, fatal: ['/type', '/content'] },
]

/** Every path to a value inside `value`, as pointer strings and key lists. */
function allPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix]
  const out: string[][] = prefix.length > 0 ? [prefix] : []
  for (const [k, v] of Object.entries(value)) out.push(...allPaths(v, [...prefix, k]))
  return out
}

function replaced(root: Record<string, unknown>, path: string[], junk: unknown): Record<string, unknown> {
  const copy = structuredClone(root)
  let node: Record<string, unknown> = copy
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>
  node[path[path.length - 1]!] = junk
  return copy
}

function isResult(r: DocumentReadResult<unknown>): boolean {
  return r.ok ? Array.isArray(r.problems) && r.value !== undefined : r.error instanceof CrdtError && r.error.code === 'INVALID_DOCUMENT'
}

/** JSON values Automerge accepts (it refuses keys such as `__proto__`): the junk a peer can really send. */
const storableJunk = fc.jsonValue({ maxDepth: 2 }).filter((value) => {
  try {
    A.from({ value })
    return true
  } catch {
    return false
  }
})

const junkValue = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.constantFrom(null, undefined, '', '..', '/x', NaN, -1, Infinity, 2 ** 60, true, [], {}, new Uint8Array([1])),
  fc.string(),
)

describe('readers on junk', () => {
  it('[D4] every reader returns a typed result for any value and never throws', () => {
    fc.assert(
      fc.property(junkValue, (value) => {
        for (const { read } of kinds) expect(isResult(read(value))).toBe(true)
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })

  it('[D4][D5][P12] a wrong value in any one field never throws, leaves the rest readable, keeps network off', () => {
    for (const { name, valid, read, fatal } of kinds) {
      const paths = allPaths(valid)
      fc.assert(
        fc.property(fc.constantFrom(...paths), junkValue, (path, junk) => {
          const doc = replaced(valid, path, junk)
          const r = read(doc)
          expect(isResult(r)).toBe(true)
          const pointer = '/' + path.join('/')
          if (!fatal.includes(pointer)) expect([name, pointer, r.ok]).toEqual([name, pointer, true])
          if (r.ok && name === 'project') {
            const value = r.value as { files: unknown[]; brokenFiles: unknown[]; settings: { networkAccess: boolean } }
            // Replacing inside one entry affects that entry only.
            if (path[0] === 'files' && path.length >= 2) expect(value.files.length + value.brokenFiles.length).toBe(3)
            // Network access stays off unless the stored value is exactly `true`.
            const networkJunk = pointer === '/settings' ? false : pointer === '/settings/networkAccess' ? junk === true : true
            expect(value.settings.networkAccess).toBe(networkJunk)
            expect(() => listTree(value as Parameters<typeof listTree>[0])).not.toThrow()
          }
          if (r.ok && name === 'chat' && path[0] === 'messages' && path.length >= 2) {
            const value = r.value as { messages: unknown[]; brokenMessages: unknown[] }
            expect(value.messages.length + value.brokenMessages.length).toBe(2)
          }
        }),
        { seed: SEED, numRuns: RUNS },
      )
    }
  })

  it('[D4] the same junk inside real Automerge documents reads without throwing', () => {
    for (const { valid, read } of kinds) {
      const paths = allPaths(valid)
      fc.assert(
        fc.property(fc.constantFrom(...paths), storableJunk, (path, junk) => {
          const doc = A.from(replaced(valid, path, junk))
          expect(isResult(read(doc))).toBe(true)
          expect(isResult(read(A.load(A.save(doc))))).toBe(true)
        }),
        { seed: SEED, numRuns: long ? 200 : 25 },
      )
    }
  })

  it('[D2] each reader refuses a non-map root and every other type tag', () => {
    for (const { name, valid, read } of kinds) {
      for (const value of [null, 7, 'quire/' + name, [valid], { ...valid, type: 'quire/notebook' }, { ...valid, type: undefined }]) {
        const r = read(value)
        expect([name, r.ok ? 'ok' : r.error.code]).toEqual([name, 'INVALID_DOCUMENT'])
      }
      expect(read(valid).ok).toBe(true)
    }
  })

  it('[D4] a hostile value (throwing getters, a revoked proxy) becomes INVALID_DOCUMENT', () => {
    const throwing = Object.defineProperty({ type: 'quire/project', schemaVersion: 1 }, 'files', {
      get() {
        throw new Error('boom')
      },
      enumerable: true,
    })
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    for (const { read } of kinds) {
      for (const value of [throwing, proxy]) {
        const r = read(value)
        expect(r.ok).toBe(false)
        if (!r.ok) expect(r.error.code).toBe('INVALID_DOCUMENT')
      }
    }
  })

  it('[D8] operations on documents with junk fields either work or throw a CrdtError', () => {
    const url = generateAutomergeUrl()
    fc.assert(
      fc.property(fc.constantFrom(...kinds.flatMap((k) => allPaths(k.valid).map((path) => [k.name, path] as const))), storableJunk, ([name, path], junk) => {
        const doc = A.from(replaced(kinds.find((k) => k.name === name)!.valid, path, junk))
        const ops: Array<[string, (d: never) => void]> = [
          ['project', (d: ProjectDoc) => addFile(d, { path: 'new/file.txt', kind: 'text', url })],
          ['project', (d: ProjectDoc) => renamePath(d, 'a', 'z')],
          ['project', (d: ProjectDoc) => setSettings(d, { pinnedRelays: ['relay-2'], networkAccess: false })],
          ['chat', (d: ChatDoc) => postMessage(d, { author: 'carol', text: 'x', time: 9 })],
          ['chat', (d: ChatDoc) => editMessage(d, 'm1', 'edited')],
          ['chat', (d: ChatDoc) => deleteMessage(d, 'm2')],
          ['text', (d: TextDoc) => spliceText(d, 0, 0, 'x')],
        ]
        for (const [kind, op] of ops.filter(([k]) => k === name)) {
          try {
            A.change(A.clone(doc as A.Doc<unknown>), op as (d: unknown) => void)
          } catch (err) {
            expect([path.join('/'), kind, err instanceof CrdtError ? 'CrdtError' : String(err)]).toEqual([path.join('/'), kind, 'CrdtError'])
          }
        }
      }),
      { seed: SEED, numRuns: long ? 300 : 60 },
    )
  })
})
