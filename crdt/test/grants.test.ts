import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import fc from 'fast-check'
import {
  appendGrantEntries,
  createGrants,
  decodePayload,
  encodePayload,
  fromBase64Url,
  grantEntryId,
  readGrants,
  readGrantsHistory,
  toBase64Url,
  type GrantsDoc,
  type GrantsRead,
  type NewGrantEntry,
} from '../src/index.js'
import { codeOf } from './helpers/error-code.js'

const OWNER = '12D3KooWOwner'
const PROJECT = 'project-1'
const SEED = 20261123

/** A well-formed entry: this package checks shapes, never signatures, so any 64 bytes will do. */
function entry(fill: number, fields: Record<string, string | number> = {}): NewGrantEntry {
  return { payload: encodePayload({ kind: 'grant', v: 1, project: PROJECT, subject: `peer-${fill}`, ...fields }), signature: new Uint8Array(64).fill(fill) }
}

function read(doc: unknown): GrantsRead {
  const result = readGrants(doc)
  if (!result.ok) throw result.error
  return result.value
}


const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('grants document', () => {
  it('[G1][D1] createGrants stores type, version, project and owner as atoms, and no entries', () => {
    const doc = createGrants({ project: PROJECT, owner: OWNER })
    expect([doc.type, doc.schemaVersion]).toEqual(['quire/grants', 1])
    expect(A.isImmutableString(doc.project) && A.isImmutableString(doc.owner)).toBe(true)
    expect(readGrants(doc)).toEqual({ ok: true, value: { schemaVersion: 1, project: PROJECT, owner: OWNER, entries: [], brokenEntries: [] }, problems: [] })
    expect(codeOf(() => createGrants({ project: 'a/b', owner: OWNER }))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => createGrants({ project: PROJECT, owner: 'has space' }))).toBe('INVALID_ARGUMENT')
  })

  it('[G2][G4] entries are keyed by the base64url of their signature and read back as signed records', () => {
    const e = entry(7, { role: 'writer', issued: 5 })
    let ids: string[] = []
    const doc = A.change(createGrants({ project: PROJECT, owner: OWNER }), (d) => { ids = appendGrantEntries(d, [e]) })
    const id = grantEntryId(e.signature)
    expect(ids).toEqual([id])
    expect(id).toHaveLength(86)
    expect(Object.keys(doc.entries)).toEqual([id])
    const [got] = read(doc).entries
    expect(got!.id).toBe(id)
    expect(got!.kind).toBe('grant')
    expect(got!.payload).toEqual(e.payload)
    expect(got!.signature).toEqual(e.signature)
    expect(got!.fields).toEqual({ issued: 5, kind: 'grant', project: PROJECT, role: 'writer', subject: 'peer-7', v: 1 })
  })

  it('[G3] encodePayload writes sorted keys, no spaces, RFC 8785 escapes; decodePayload accepts only that form', () => {
    const bytes = encodePayload({ b: 'é"\n\u2028', a: 1, c: undefined, z: -3 })
    expect(new TextDecoder().decode(bytes)).toBe('{"a":1,"b":"é\\"\\n\u2028","z":-3}')
    expect(decodePayload(bytes)).toEqual({ ok: true, fields: { a: 1, b: 'é"\n\u2028', z: -3 } })
    for (const text of ['{"b":1,"a":2}', '{"a": 1}', '{"a":1.5}', '{"a":1e3}', '{"a":"\\u0041"}', '{"a":1,"a":1}', '{"a":{"b":1}}', '{"a":[1]}', '{"a":true}', '[1]', 'nope', '{"A":1}', '{"__proto__":1}']) {
      expect(decodePayload(utf8(text)).ok, text).toBe(false)
    }
    expect(decodePayload(new Uint8Array([0x7b, 0xff, 0x7d])).ok).toBe(false)
    expect(decodePayload('{"a":1}').ok).toBe(false)
    expect(decodePayload(utf8(`{"a":"${'x'.repeat(9000)}"}`)).ok).toBe(false)
    expect(() => encodePayload({ a: 0.5 })).toThrow(TypeError)
    expect(() => encodePayload({ 'bad name': 1 })).toThrow(TypeError)
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z][A-Za-z0-9]{0,8}$/), fc.oneof(fc.string({ unit: 'binary', maxLength: 24 }), fc.maxSafeInteger()), { maxKeys: 10 }), (fields) => {
        const encoded = encodePayload(fields)
        const decoded = decodePayload(encoded)
        expect(decoded).toEqual({ ok: true, fields })
      }),
      { seed: SEED, numRuns: 100 },
    )
  })

  it('[G5][D5] malformed entries are broken with a reason; the others read as usual', () => {
    const good = entry(1)
    const sig = (n: number): Uint8Array => new Uint8Array(64).fill(n)
    const doc = {
      type: 'quire/grants',
      schemaVersion: 1,
      project: PROJECT,
      owner: OWNER,
      entries: {
        [grantEntryId(good.signature)]: good,
        notAMap: 5,
        shortSig: { payload: good.payload, signature: new Uint8Array(10) },
        [toBase64Url(sig(9))]: { payload: good.payload, signature: sig(2) },
        [toBase64Url(sig(3))]: { payload: utf8('{"kind": "grant"}'), signature: sig(3) },
        [toBase64Url(sig(4))]: { payload: encodePayload({ v: 1 }), signature: sig(4) },
        [toBase64Url(sig(5))]: { payload: 'text', signature: sig(5) },
      },
    }
    const result = readGrants(doc)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.value.entries.map((e) => e.id)).toEqual([grantEntryId(good.signature)])
    const reasons = Object.fromEntries(result.value.brokenEntries.map((b) => [b.id, b.reason]))
    expect(Object.keys(reasons)).toHaveLength(6)
    expect(reasons['notAMap']).toMatch(/not a map/)
    expect(reasons['shortSig']).toMatch(/64-byte signature/)
    expect(reasons[toBase64Url(sig(9))]).toMatch(/id is not/)
    expect(reasons[toBase64Url(sig(3))]).toMatch(/canonical/)
    expect(reasons[toBase64Url(sig(4))]).toMatch(/no kind/)
    expect(reasons[toBase64Url(sig(5))]).toMatch(/not bytes/)
    expect(result.problems.filter((p) => p.path.startsWith('/entries/'))).toHaveLength(6)
    const noHeader = read({ type: 'quire/grants', schemaVersion: 1, project: 'a/b', entries: [] })
    expect([noHeader.project, noHeader.owner, noHeader.entries]).toEqual([null, null, []])
  })

  it('[G6][D2][D4] readGrants never throws and refuses what is not a grants document', () => {
    expect(readGrants({ type: 'quire/chat', schemaVersion: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_DOCUMENT' } })
    expect(readGrants(null)).toMatchObject({ ok: false, error: { code: 'INVALID_DOCUMENT' } })
    const hostile = new Proxy({}, { get: () => { throw new Error('boom') }, ownKeys: () => { throw new Error('boom') } })
    expect(readGrants(hostile)).toMatchObject({ ok: false, error: { code: 'INVALID_DOCUMENT' } })
    fc.assert(
      fc.property(fc.anything(), fc.dictionary(fc.string(), fc.anything()), (junk, entries) => {
        expect(() => readGrants(junk)).not.toThrow()
        const result = readGrants({ type: 'quire/grants', schemaVersion: 1, project: PROJECT, owner: OWNER, entries })
        expect(result.ok).toBe(true)
      }),
      { seed: SEED, numRuns: 200 },
    )
  })

  it('[G7][D8] appending is idempotent, repairs junk under an id, and refuses malformed entries whole', () => {
    const a = entry(1)
    const b = entry(2)
    let doc = A.change(createGrants({ project: PROJECT, owner: OWNER }), (d) => { appendGrantEntries(d, [a]) })
    const heads = A.getHeads(doc)
    doc = A.change(doc, (d) => { appendGrantEntries(d, [a]) })
    expect(A.getHeads(doc)).toEqual(heads)
    doc = A.change(doc, (d) => { (d.entries as Record<string, unknown>)[grantEntryId(b.signature)] = { junk: true } })
    expect(read(doc).brokenEntries).toHaveLength(1)
    doc = A.change(doc, (d) => { appendGrantEntries(d, [b]) })
    expect(read(doc).entries.map((e) => e.id).sort()).toEqual([grantEntryId(a.signature), grantEntryId(b.signature)].sort())
    expect(read(doc).brokenEntries).toEqual([])
    const before = A.getHeads(doc)
    for (const bad of [{ payload: a.payload, signature: new Uint8Array(3) }, { payload: utf8('{"a": 1}'), signature: new Uint8Array(64).fill(9) }, null]) {
      const c = entry(8)
      expect(codeOf(() => A.change(doc, (d) => { appendGrantEntries(d, [c, bad as unknown as NewGrantEntry]) }))).toBe('INVALID_ARGUMENT')
    }
    expect(A.getHeads(doc)).toEqual(before)
    const junkDoc = A.from({ type: 'quire/grants', schemaVersion: 1, entries: 'junk' } as Record<string, unknown>) as A.Doc<GrantsDoc>
    const fixed = A.change(junkDoc, (d) => { appendGrantEntries(d, [a]) })
    expect(read(fixed).entries).toHaveLength(1)
  })

  it('[G8] concurrent appends by two peers both survive, and one entry appended twice counts once', () => {
    const base = createGrants({ project: PROJECT, owner: OWNER })
    const shared = entry(5)
    const left = A.change(A.clone(base), (d) => { appendGrantEntries(d, [entry(1), shared]) })
    const right = A.change(A.clone(base), (d) => { appendGrantEntries(d, [entry(2), shared]) })
    const one = read(A.merge(A.clone(left), right))
    const two = read(A.merge(A.clone(right), left))
    expect(one.entries.map((e) => e.id)).toEqual(two.entries.map((e) => e.id))
    expect(one.entries.map((e) => e.id).sort()).toEqual([1, 2, 5].map((n) => grantEntryId(new Uint8Array(64).fill(n))).sort())
    expect(one.brokenEntries).toEqual([])
  })

  it('[G9][D7] a grants document survives save/load with entries byte-identical', () => {
    const doc = A.change(createGrants({ project: PROJECT, owner: OWNER }), (d) => { appendGrantEntries(d, [entry(1), entry(2, { expires: 99 })]) })
    const loaded = A.load<GrantsDoc>(A.save(doc))
    expect(read(loaded)).toEqual(read(doc))
    expect(read(loaded).entries[0]!.payload).toBeInstanceOf(Uint8Array)
  })

  it('[G10] base64url round-trips any bytes and refuses every other spelling', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const text = toBase64Url(bytes)
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/)
      expect(fromBase64Url(text)).toEqual(bytes)
    }), { seed: SEED, numRuns: 300 })
    expect(toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8')
    for (const bad of ['-_8=', '+/8', 'a', 'ab c', '-_9']) expect(fromBase64Url(bad), bad).toBeUndefined()
  })

  it('[G11] readGrantsHistory returns every well-formed entry the document ever held, deleted or overwritten', () => {
    const [a, b, c] = [entry(1), entry(2), entry(3)]
    const base = A.change(createGrants({ project: PROJECT, owner: OWNER }), (d) => { appendGrantEntries(d, [a, b]) })
    // Someone with write access (changes are not signed) deletes one entry and overwrites another with junk.
    let doc = A.change(base, (d) => {
      delete d.entries[grantEntryId(a.signature)]
      ;(d.entries[grantEntryId(b.signature)] as { payload: Uint8Array }).payload = utf8('junk')
    })
    doc = A.merge(doc, A.change(A.clone(base), (d) => { appendGrantEntries(d, [c]) }))
    expect(read(doc).entries.map((e) => e.id)).toEqual([grantEntryId(c.signature)])
    const history = readGrantsHistory(doc)
    expect(history.map((e) => e.id)).toEqual([a, b, c].map((e) => grantEntryId(e.signature)).sort())
    expect(history.find((e) => e.id === grantEntryId(b.signature))!.payload).toEqual(b.payload)
    // The whole entries map replaced, then entries appended again: old and new entries are all found.
    const replaced = A.change(A.change(doc, (d) => { (d as { entries: unknown }).entries = 'junk' }), (d) => { appendGrantEntries(d, [entry(4)]) })
    expect(readGrantsHistory(replaced)).toHaveLength(4)
    expect(readGrantsHistory(A.load<GrantsDoc>(A.save(replaced)))).toHaveLength(4)
    // Entries-shaped junk outside the entries map, or with a key that is not its signature's id, is ignored.
    const stray = A.change(createGrants({ project: PROJECT, owner: OWNER }), (d) => {
      (d as unknown as Record<string, unknown>)[grantEntryId(a.signature)] = { payload: a.payload, signature: a.signature }
      ;(d.entries as Record<string, unknown>)['wrongKey'] = { payload: a.payload, signature: a.signature }
    })
    expect(readGrantsHistory(stray)).toEqual([])
    for (const junk of [null, 5, { entries: {} }, 'doc']) expect(readGrantsHistory(junk)).toEqual([])
  })
})
