import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PeerProcessError, peerMainPath, runningProcesses, startPeer, startProcess, stopAllProcesses } from '@quire/node/testing'

function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

describe('process harness', () => {
  let dir: string
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'quire-proc-')) })
  afterAll(async () => {
    await stopAllProcesses()
    await rm(dir, { recursive: true, force: true })
  })

  it('[L10] a peer process reports ready with its peer id and addresses, then answers commands', async () => {
    const peer = await startPeer({ role: 'peer', dataDir: join(dir, 'a'), listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true }, { name: 'a' })
    expect(peer.info.peerId).toMatch(/^12D3KooW/)
    expect(peer.info.addresses.some((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))).toBe(true)
    expect(await peer.request('peerId', undefined)).toBe(peer.info.peerId)
    expect(await peer.request('connections', undefined)).toEqual([])
    await expect(peer.request('no-such-command', {})).rejects.toMatchObject({ code: 'UNKNOWN_COMMAND' })
    // Params are untrusted JSON on the child's side: a wrong type is an error with a code, not a crash.
    await expect(peer.request('dial', { addr: 42 } as unknown as { addr: string })).rejects.toMatchObject({ code: 'BAD_PARAMS' })
    await expect(peer.request('dial', { addr: '/ip4/127.0.0.1/tcp/1' })).rejects.toBeInstanceOf(PeerProcessError)
  })

  it('[L11] SIGKILL ends the process: exited resolves with the signal and no process is left', async () => {
    const peer = await startPeer({ role: 'peer', dataDir: join(dir, 'b'), listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true }, { name: 'b' })
    expect(isAlive(peer.pid)).toBe(true)
    const pending = peer.request('waitForAddress', { contains: 'never-there', timeoutMs: 20_000 })
    const exit = await peer.kill('SIGKILL')
    expect(exit.signal).toBe('SIGKILL')
    expect(isAlive(peer.pid)).toBe(false)
    await expect(pending).rejects.toMatchObject({ code: 'PROCESS_EXITED' })
    expect(runningProcesses().map((p) => p.pid)).not.toContain(peer.pid)
  })

  it('[L12] the stop command and SIGTERM stop the node and exit with code 0', async () => {
    const [p1, p2] = await Promise.all([
      startPeer({ role: 'peer', dataDir: join(dir, 'c'), listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true }, { name: 'c' }),
      startPeer({ role: 'peer', dataDir: join(dir, 'd'), listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true }, { name: 'd' }),
    ])
    expect(await p1.request('stop', undefined)).toBeNull()
    expect(await p1.exited).toEqual({ code: 0, signal: null })
    expect(await p2.stop()).toEqual({ code: 0, signal: null })
    expect(isAlive(p1.pid) || isAlive(p2.pid)).toBe(false)
  })

  it('[L13] stopAllProcesses stops every started process', async () => {
    const peers = await Promise.all(['e', 'f'].map((n) =>
      startPeer({ role: 'peer', dataDir: join(dir, n), listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true }, { name: n })))
    await stopAllProcesses()
    for (const p of peers) {
      expect(p.hasExited).toBe(true)
      expect(isAlive(p.pid)).toBe(false)
    }
    expect(runningProcesses()).toEqual([])
  })

  it('[L12] a peer process whose parent is killed with SIGKILL exits on its own', async () => {
    // A parent process that starts a peer with the harness and reports the peer's pid in its ready message.
    const processesJs = join(peerMainPath(), '..', 'processes.js')
    const parentScript = join(dir, 'parent.mjs')
    await writeFile(parentScript, [
      `import { startPeer } from ${JSON.stringify(processesJs)}`,
      `const peer = await startPeer({ role: 'peer', dataDir: ${JSON.stringify(join(dir, 'orphan'))}, listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true }, { name: 'orphan' })`,
      `process.send({ type: 'ready', info: { peerId: peer.info.peerId, addresses: [], pid: peer.pid } })`,
      `setInterval(() => {}, 1000)`,
    ].join('\n'))
    const parent = await startProcess(parentScript, { name: 'parent' })
    const orphanPid = parent.info.pid
    expect(orphanPid).not.toBe(parent.pid)
    expect(isAlive(orphanPid)).toBe(true)
    await parent.kill('SIGKILL')
    await expect.poll(() => isAlive(orphanPid), { timeout: 10_000, interval: 100 }).toBe(false)
  })

  it('[L14] a peer whose config cannot start exits and the start call rejects with its reason', async () => {
    await expect(startPeer({ role: 'peer', dataDir: join(dir, 'g'), listen: ['not-a-multiaddr'] }, { name: 'g' }))
      .rejects.toMatchObject({ code: 'PROCESS_EXITED' })
  })
})
