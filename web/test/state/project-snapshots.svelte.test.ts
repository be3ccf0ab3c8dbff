// @vitest-environment node
/**
 * The Snapshots panel's state (web/src/lib/snapshots/project-snapshots.svelte.ts) against a scripted compute
 * peer over real libp2p on loopback: the timeline and usage when it answers; nothing stale, and the reason,
 * when it stops answering or the project has no compute peer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stream } from '@libp2p/interface'
import { decode, encode } from 'cbor-x'
import { encodeFrame, FrameDecoder, SNAPSHOT_PROTOCOL, type QuireNode } from '@quire/node'
import { startLoopbackNode } from '@quire/node/testing'
import { ProjectSnapshots } from '../../src/lib/snapshots/project-snapshots.svelte.js'
import type { Session } from '../../src/lib/peer/session.svelte.js'

let member: QuireNode
let compute: QuireNode
const asked: string[] = []
const snapshot = { id: '20261207T230000000Z-abcd', createdAt: 1_765_000_000_000, kind: 'named', name: 'kept', by: 'peer-x' }

async function serve(): Promise<void> {
  await compute.handle(SNAPSHOT_PROTOCOL, async (stream: Stream) => {
    const decoder = new FrameDecoder(16 * 1024)
    for await (const chunk of stream) {
      const [frame] = decoder.push(chunk)
      if (frame === undefined) continue
      const request = decode(frame) as { op: string }
      asked.push(request.op)
      const answer = request.op === 'list' ? { ok: true, snapshots: [snapshot] }
        : request.op === 'usage' ? { ok: true, usage: { workspaceBytes: 2048, snapshotBytes: 512, budgetBytes: 4096 } }
        : request.op === 'take' ? { ok: false, code: 'SNAPSHOT_ACCESS_DENIED', message: 'only writers of the project may take named snapshots' }
        : { ok: false, code: 'SNAPSHOT_REQUEST_INVALID', message: 'not scripted' }
      stream.send(encodeFrame(encode(answer)))
      await stream.close()
      return
    }
  }, { runOnLimitedConnection: true })
}

beforeAll(async () => {
  ;[member, compute] = await Promise.all([startLoopbackNode(), startLoopbackNode()])
  await member.dial(compute.getMultiaddrs()[0]!)
  await serve()
})

afterAll(async () => {
  await Promise.all([member?.stop(), compute?.stop()])
})

describe('ProjectSnapshots (the panel state)', () => {
  it('lists the snapshots and the usage, says the compute peer\'s refusal, and clears everything when it stops answering or there is none', async () => {
    let peer: string | null = compute.peerId.toString()
    const session = { node: member, bootstrap: { relays: [] } } as unknown as Session
    const state = new ProjectSnapshots(session, 'project-id', () => peer)
    expect(state.status.state).toBe('loading')
    await state.refresh()
    expect(state.status).toEqual({ state: 'ok' })
    expect(state.snapshots.map((s) => s.name)).toEqual(['kept'])
    expect(state.usage).toEqual({ workspaceBytes: 2048, snapshotBytes: 512, budgetBytes: 4096 })
    expect(asked.sort()).toEqual(['list', 'usage'])
    // A refusal reaches the caller with the compute peer's words; the timeline stays.
    await expect(state.take('mine')).rejects.toMatchObject({ code: 'SNAPSHOT_ACCESS_DENIED', message: expect.stringMatching(/only writers/) })
    expect(state.snapshots).toHaveLength(1)

    // The compute peer stops answering the protocol: no stale timeline, the reason instead.
    await compute.unhandle(SNAPSHOT_PROTOCOL)
    await state.refresh()
    expect(state.status.state).toBe('unreachable')
    expect(state.snapshots).toEqual([])
    expect(state.usage).toBeUndefined()
    await serve()
    await state.refresh()
    expect(state.status.state).toBe('ok')

    // The project's settings name no compute peer (any more).
    peer = null
    await state.refresh()
    expect(state.status).toEqual({ state: 'no-compute-peer' })
    expect(state.snapshots).toEqual([])
    await expect(state.browse(snapshot.id, '')).rejects.toThrow(/No compute peer runs this project/)
  })
})
