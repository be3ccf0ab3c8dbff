import { describe, expect, it } from 'vitest'
import type { KernelRead, KernelState } from '@quire/crdt'
import { formatElapsed, kernelBanner, NO_COMPUTE_PEER } from '../../src/lib/notebook/kernel-status.js'

const PEER = '12D3KooWComputeAAAAAAAA'
const none: KernelRead = { state: undefined, requests: [], offer: undefined, problems: [] }
const withState = (state: Partial<KernelState>): KernelRead => ({
  ...none,
  state: { peer: PEER, spec: 'python3', status: 'idle', updatedAt: 1, ...state },
})
const online = { assigned: PEER, online: true, name: 'lab-vm' }

describe('kernelBanner', () => {
  it('says plainly when no compute peer is assigned', () => {
    const banner = kernelBanner(none, { assigned: null, online: false }, 2, 0)
    expect(banner.text).toBe(NO_COMPUTE_PEER)
    expect(banner.text).toBe('No compute peer serves this project: ask an admin to assign one')
    expect(banner.tone).toBe('warning')
    expect(banner.detail).toBe('2 cells waiting to run.')
  })

  it('says when the assigned compute peer is offline, naming it', () => {
    const banner = kernelBanner(withState({ status: 'idle' }), { assigned: PEER, online: false, name: 'lab-vm' }, 1, 0)
    expect(banner.text).toContain('lab-vm is offline')
    expect(banner.text).toContain('1 cell waiting')
  })

  it('shows a progress bar and the compute peer message while the kernel starts', () => {
    const banner = kernelBanner(withState({ status: 'starting', message: 'starting sandbox' }), online, 1, 0)
    expect(banner).toMatchObject({ tone: 'busy', progress: true, detail: 'starting sandbox' })
    expect(banner.text).toMatch(/^Starting kernel python3…/)
  })

  it('uses the display name from the compute offer', () => {
    const kernel: KernelRead = {
      ...withState({ status: 'busy' }),
      offer: { peer: PEER, kernels: [{ name: 'python3', displayName: 'Python 3', language: 'python' }], limits: {}, network: false, notes: [], onlineSince: 0, updatedAt: 0 },
    }
    expect(kernelBanner(kernel, online, 0, 0).text).toBe('Python 3: busy')
  })

  it('explains a dead kernel and what to do', () => {
    const banner = kernelBanner(withState({ status: 'dead', message: 'killed: out of memory' }), online, 0, 0)
    expect(banner.tone).toBe('error')
    expect(banner.text).toContain('killed: out of memory')
    expect(banner.text).toContain('restart')
  })

  it('shows a pending request, and a refusal for a while', () => {
    const pending: KernelRead = { ...withState({ status: 'busy' }), requests: [{ id: 'r1', action: 'interrupt', requestedBy: 'me', requestedAt: 5 }] }
    expect(kernelBanner(pending, online, 0, 10).detail).toBe('Interrupt requested…')
    const refused: KernelRead = {
      ...withState({ status: 'idle' }),
      requests: [{ id: 'r1', action: 'restart', requestedBy: 'me', requestedAt: 5, handledAt: 10, refused: 'not a writer' }],
    }
    expect(kernelBanner(refused, online, 0, 20).detail).toBe('Request refused: not a writer')
    expect(kernelBanner(refused, online, 0, 60_000).detail).toBeUndefined()
  })

  it('says whether the compute peer agreed to serve the project, or why not', () => {
    expect(kernelBanner(none, { ...online, serving: { state: 'serving' } }, 0, 0).text).toBe('The compute peer lab-vm serves this project: the kernel starts when you run a cell.')
    const refused = kernelBanner(withState({ status: 'idle' }), { ...online, serving: { state: 'refused', message: 'no compute grant' } }, 1, 0)
    expect(refused).toMatchObject({ tone: 'error', text: 'The compute peer lab-vm refused to serve this project: no compute grant', detail: '1 cell waiting to run.' })
    expect(kernelBanner(none, { ...online, serving: { state: 'failed', message: 'dial timed out' } }, 0, 0).detail).toBe('Could not reach lab-vm yet (dial timed out); retrying.')
  })

  it('ignores a kernel state left by a compute peer that is no longer assigned', () => {
    const banner = kernelBanner(withState({ status: 'busy', peer: '12D3KooWOldPeer' }), online, 0, 0)
    expect(banner.text).toContain('Kernel not started')
  })

  it('judges from the document alone when the app gives no compute peer info', () => {
    expect(kernelBanner(withState({ status: 'idle' }), undefined, 0, 0).text).toBe('python3: idle')
  })
})

describe('formatElapsed', () => {
  it('formats seconds, minutes and hours', () => {
    expect(formatElapsed(3200)).toBe('3.2 s')
    expect(formatElapsed(65_000)).toBe('1 min 05 s')
    expect(formatElapsed(3_725_000)).toBe('1 h 02 min')
    expect(formatElapsed(-5)).toBe('0.0 s')
  })
})
