/**
 * Convergence property test: 3 to 5 Repos edit text and notebook documents at random while the test network
 * drops, duplicates, reorders and cuts their messages; once healed and quiet, every peer must hold the same
 * heads and content, and every notebook must show each cell once, in the same order everywhere.
 *
 * Replay one seed: QUIRE_SEED=123 npx vitest run crdt/test/convergence.test.ts
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as A from '@automerge/automerge'
import type { DocHandle, Repo } from '@automerge/automerge-repo'
import {
  CELL_TYPES,
  appendOutput,
  clearOutputs,
  createNotebook,
  createText,
  deleteCell,
  editSource,
  insertCell,
  moveCell,
  readNotebook,
  readText,
  setCellType,
  spliceText,
  type NotebookDoc,
  type Output,
  type TextDoc,
} from '@quire/crdt'
import { TestNetwork, createRandom, fakeTimerClock, type Random, type TestNetworkEvent, type TestNetworkStats } from '@quire/crdt/testing'

const long = process.env.QUIRE_LONG === '1'
const replaySeed = process.env.QUIRE_SEED === undefined ? undefined : Number(process.env.QUIRE_SEED)
const SEEDS = long ? 2000 : Number(process.env.QUIRE_SEEDS ?? 200)
const BATCH = 20

type Kind = 'text' | 'notebook'
interface SharedDoc {
  readonly kind: Kind
  readonly handles: DocHandle<unknown>[]
}

const ALPHABET = 'abcxyz λ\n'
function randomString(rng: Random, max: number): string {
  let out = ''
  for (let i = rng.int(0, max); i > 0; i--) out += rng.pick([...ALPHABET])
  return out
}

function editText(rng: Random, handle: DocHandle<TextDoc>): void {
  handle.change((d) => {
    const length = d.content.length
    const index = rng.int(0, length)
    const deleteCount = rng.int(0, Math.min(3, length - index))
    spliceText(d, index, deleteCount, randomString(rng, 4) || 'q')
  })
}

function randomOutput(rng: Random): Output {
  if (rng.chance(0.7)) return { output_type: 'stream', name: rng.pick(['stdout', 'stderr']), text: randomString(rng, 6) }
  return { output_type: 'execute_result', data: { 'text/plain': randomString(rng, 4) }, metadata: {}, execution_count: rng.int(1, 9) }
}

function editNotebook(rng: Random, handle: DocHandle<NotebookDoc>): void {
  const cells = readNotebook(handle.doc()).cells
  const roll = rng.next()
  if (cells.length === 0 || roll < 0.2) {
    const index = rng.int(0, cells.length)
    const cellType = rng.pick(CELL_TYPES)
    handle.change((d) => void insertCell(d, index, { cellType, source: randomString(rng, 5) }))
    return
  }
  const cell = rng.pick(cells)
  const id = cell.id
  if (roll < 0.3) handle.change((d) => deleteCell(d, id))
  else if (roll < 0.45) handle.change((d) => moveCell(d, id, rng.int(0, cells.length - 1)))
  else if (roll < 0.55) handle.change((d) => setCellType(d, id, rng.pick(CELL_TYPES)))
  else if (cell.cellType === 'code' && roll < 0.7) handle.change((d) => appendOutput(d, id, randomOutput(rng)))
  else if (cell.cellType === 'code' && roll < 0.75) handle.change((d) => clearOutputs(d, id))
  else if (cell.cellType !== 'broken') {
    const length = cell.source.length
    const index = rng.int(0, length)
    const deleteCount = rng.int(0, Math.min(3, length - index))
    handle.change((d) => editSource(d, id, index, deleteCount, randomString(rng, 4) || 'q'))
  }
}

function initialNotebook(rng: Random): A.Doc<NotebookDoc> {
  return A.change(createNotebook(), (d) => {
    for (let i = rng.int(0, 3); i > 0; i--) insertCell(d, 0, { cellType: rng.pick(CELL_TYPES), source: randomString(rng, 5) })
  })
}

/** Every peer gets each document: most by importing the same bytes, some by asking the network for it. */
async function shareDocuments(rng: Random, network: TestNetwork, repos: Repo[]): Promise<SharedDoc[]> {
  const docs: SharedDoc[] = []
  const finds: Promise<void>[] = []
  const count = rng.chance(0.2) ? 3 : 2
  for (let i = 0; i < count; i++) {
    const kind: Kind = i === 0 ? 'text' : i === 1 ? 'notebook' : rng.pick(['text', 'notebook'])
    const bytes = kind === 'text' ? A.save(createText(randomString(rng, 8))) : A.save(initialNotebook(rng))
    const owner = repos[0] as Repo
    const first = owner.import<unknown>(bytes)
    const doc: SharedDoc = { kind, handles: [first] }
    for (const repo of repos.slice(1)) {
      const slot = doc.handles.push(first) - 1
      if (rng.chance(0.7)) doc.handles[slot] = repo.import<unknown>(bytes, { docId: first.documentId })
      else finds.push(repo.find<unknown>(first.url).then((handle) => void (doc.handles[slot] = handle)))
    }
    docs.push(doc)
  }
  await network.runUntilQuiet()
  await Promise.all(finds)
  return docs
}

function splitPeers(rng: Random, peers: readonly string[]): string[][] {
  const shuffled = rng.shuffle(peers)
  const cut = rng.int(1, shuffled.length - 1)
  return [shuffled.slice(0, cut), shuffled.slice(cut)]
}

async function chaos(rng: Random, network: TestNetwork, docs: SharedDoc[], faults: Parameters<TestNetwork['setFaults']>[0]): Promise<void> {
  const peers = network.peers
  let partitioned = false
  for (let round = rng.int(10, 40); round > 0; round--) {
    const roll = rng.next()
    if (roll < 0.4) {
      const doc = rng.pick(docs)
      const handle = rng.pick(doc.handles)
      if (doc.kind === 'text') editText(rng, handle as DocHandle<TextDoc>)
      else editNotebook(rng, handle as DocHandle<NotebookDoc>)
    } else if (roll < 0.92) {
      for (let i = rng.int(1, 10); i > 0; i--) await network.step()
    } else if (roll < 0.97) {
      if (partitioned) {
        network.heal()
        network.setFaults(faults)
      } else {
        network.partition(...splitPeers(rng, peers))
      }
      partitioned = !partitioned
    } else {
      const [x, y] = rng.shuffle(peers)
      if (rng.chance(0.5)) network.disconnect(x as string, y as string)
      else network.connect(x as string, y as string)
    }
  }
}

function assertConverged(docs: SharedDoc[]): void {
  for (const doc of docs) {
    const [first, ...rest] = doc.handles as [DocHandle<unknown>, ...DocHandle<unknown>[]]
    const heads = [...first.heads()].sort()
    const content = A.toJS(first.doc() as A.Doc<unknown>)
    for (const handle of rest) {
      expect([...handle.heads()].sort(), `heads of ${doc.kind} ${first.documentId}`).toEqual(heads)
      expect(A.toJS(handle.doc() as A.Doc<unknown>), `content of ${doc.kind} ${first.documentId}`).toEqual(content)
    }
    if (doc.kind === 'text') {
      for (const handle of doc.handles) expect(readText(handle.doc()).ok).toBe(true)
      continue
    }
    const orders = doc.handles.map((handle) => readNotebook(handle.doc()).cells.map((cell) => cell.id))
    const firstOrder = orders[0] as string[]
    expect(new Set(firstOrder).size, 'each cell is shown once').toBe(firstOrder.length)
    const stored = Object.keys((first.doc() as NotebookDoc).cells)
    expect([...firstOrder].sort(), 'every stored cell is shown').toEqual(stored.sort())
    for (const order of orders) expect(order).toEqual(firstOrder)
  }
}

/**
 * Automerge draws actor ids (which decide conflict winners) and Quire draws cell ids from
 * crypto.getRandomValues; seeding it too makes a failing seed replay exactly, not just its schedule.
 */
function seedCrypto(seed: number): void {
  const rng = createRandom(seed ^ 0x68e31da4)
  vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
    if (array !== null) {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength)
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(0, 255)
    }
    return array
  })
}

async function runSeed(seed: number, onEvent?: (event: TestNetworkEvent) => void): Promise<{ stats: TestNetworkStats; heads: string[][] }> {
  seedCrypto(seed)
  vi.setSystemTime(0) // change timestamps go into change hashes
  const rng = createRandom(seed ^ 0x2545f491)
  const faults = { drop: rng.next() * 0.08, duplicate: rng.next() * 0.04, disconnect: rng.next() * 0.03 }
  const network = new TestNetwork({ seed, clock: fakeTimerClock(vi), maxSteps: 50_000, ...(onEvent ? { onEvent } : {}) })
  try {
    const repos: Repo[] = []
    for (let i = rng.int(3, 5); i > 0; i--) repos.push(await network.addRepo(`peer-${repos.length}`))
    const docs = await shareDocuments(rng, network, repos)
    network.setFaults(faults)
    await chaos(rng, network, docs, faults)
    network.heal()
    await network.runUntilQuiet()
    assertConverged(docs)
    // Quiet means quiet: even two fake minutes later (past every automerge-repo timer) nothing is sent.
    await vi.advanceTimersByTimeAsync(120_000)
    await network.settle()
    expect(network.inFlight, 'messages sent after the network was quiet').toBe(0)
    expect(network.busy).toBe(false)
    return { stats: network.stats, heads: docs.map((doc) => [...(doc.handles[0] as DocHandle<unknown>).heads()]) }
  } finally {
    await network.shutdown()
    vi.clearAllTimers()
    vi.restoreAllMocks()
  }
}

describe('convergence under a faulty network', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  const seeds = replaySeed !== undefined ? [replaySeed] : Array.from({ length: SEEDS }, (_, i) => i + 1)
  const total = { dropped: 0, duplicated: 0, reconnects: 0, delivered: 0, cpuMs: 0 }
  // Batches keep each test well inside the per-test timeout on a loaded machine.
  for (let start = 0; start < seeds.length; start += BATCH) {
    const batch = seeds.slice(start, start + BATCH)
    const name = batch.length === 1 ? `seed ${batch[0]}` : `seeds ${batch[0]} to ${batch.at(-1)}`
    it(`[R10][R11] ${name}: every peer ends with the same heads, content and cell order`, async () => {
      const cpuBefore = process.cpuUsage()
      for (const seed of batch) {
        try {
          const { stats } = await runSeed(seed)
          total.dropped += stats.dropped
          total.duplicated += stats.duplicated
          total.reconnects += stats.reconnects
          total.delivered += stats.delivered
        } catch (error) {
          const replay = `replay with QUIRE_SEED=${seed} npx vitest run crdt/test/convergence.test.ts`
          throw new Error(`seed ${seed} failed (${replay}): ${error instanceof Error ? error.message : String(error)}`, { cause: error })
        }
      }
      const cpu = process.cpuUsage(cpuBefore)
      total.cpuMs += Math.round((cpu.user + cpu.system) / 1000)
    })
  }

  if (seeds.length >= 100) it('[R11] the network really dropped, duplicated and reconnected along the way', () => {
    console.log(`convergence: ${seeds.length} seeds, ${JSON.stringify(total)}`)
    expect(total.dropped).toBeGreaterThan(seeds.length / 2)
    expect(total.duplicated).toBeGreaterThan(seeds.length / 10)
    expect(total.reconnects).toBeGreaterThan(seeds.length)
  })

  it('[R9] a seed replays exactly: the same schedule, faults and resulting heads', async () => {
    const run = async (seed: number) => {
      const trace: string[] = []
      const { heads } = await runSeed(seed, (event) => {
        trace.push(event.type === 'deliver' || event.type === 'drop' || event.type === 'duplicate'
          ? `${event.type} ${event.from}>${event.to} ${event.message.type} ${event.message.data?.length ?? 0}`
          : JSON.stringify(event))
      })
      return { trace, heads }
    }
    const first = await run(17)
    expect(first.trace.length).toBeGreaterThan(50)
    expect(await run(17)).toEqual(first)
  })
})
