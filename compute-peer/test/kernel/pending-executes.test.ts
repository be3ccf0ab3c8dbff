/**
 * The bookkeeping of execute requests in flight (X1): a cell ends when both its reply and its idle status
 * arrived, and an oversized iopub message (which takes the idle status with it) is said in the cell even
 * when the news of it comes seconds after the reply, as it does on a busy machine.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { PendingExecutes } from '../../src/kernel/pending-executes.js'
import type { ExecuteReply, KernelOutput } from '../../src/kernel/types.js'

const REPLY = { status: 'ok', executionCount: 1 } as unknown as ExecuteReply

beforeEach(() => { vi.useFakeTimers() })
afterEach(() => { vi.useRealTimers() })

function request(pending: PendingExecutes, id: string): { outputs: KernelOutput[]; done: () => boolean } {
  const outputs: KernelOutput[] = []
  let settled = false
  void pending.add(id, (o) => outputs.push(o), undefined, () => {}).then(() => { settled = true })
  pending.started(id)
  return { outputs, done: () => settled }
}

describe('requests in flight on a kernel', () => {
  it('[X1] ends a cell at its idle status after the reply, without waiting', async () => {
    const pending = new PendingExecutes()
    const r = request(pending, 'a')
    pending.replied('a', REPLY)
    pending.idle('a')
    await vi.advanceTimersByTimeAsync(0)
    expect(r.done()).toBe(true)
    expect(r.outputs).toEqual([])
  })

  it('[X1] says an oversized message was dropped when the news of it comes 3 s after the reply, and ends the cell then', async () => {
    const pending = new PendingExecutes()
    const r = request(pending, 'a')
    pending.replied('a', REPLY)
    // The idle status was lost with the oversized message; ZeroMQ's disconnect event is late.
    await vi.advanceTimersByTimeAsync(3_000)
    expect(r.done()).toBe(false)
    pending.lost(16 * 1024 * 1024)
    await vi.advanceTimersByTimeAsync(0)
    expect(r.done()).toBe(true)
    expect(r.outputs.map((o) => (o.type === 'stream' ? o.text : '')).join('')).toContain('[output truncated: this cell sent an output message over 16 MB, which was dropped with what came with it]')
  })

  it('[X1] a reply whose idle status never comes ends the cell after a while anyway', async () => {
    const pending = new PendingExecutes()
    const r = request(pending, 'a')
    pending.replied('a', REPLY)
    await vi.advanceTimersByTimeAsync(11_000)
    expect(r.done()).toBe(true)
  })
})
