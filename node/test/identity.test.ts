import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { IDENTITY_KEY_FILE, IdentityError, loadOrCreateIdentity, restrictIdentityFile } from '@quire/node'
import { startPeer, stopAllProcesses } from '@quire/node/testing'

describe('identity (Node, key file on disk)', () => {
  let dir: string
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'quire-id-')) })
  afterAll(async () => {
    await stopAllProcesses()
    await rm(dir, { recursive: true, force: true })
  })

  it('[L1] the first start creates an Ed25519 key file readable only by its owner (0600)', async () => {
    const key = await loadOrCreateIdentity(join(dir, 'first'))
    expect(key.type).toBe('Ed25519')
    const st = await stat(join(dir, 'first', IDENTITY_KEY_FILE))
    expect(st.mode & 0o777).toBe(0o600)
  })

  it('[L2] loading again gives the same key and peer id', async () => {
    const a = await loadOrCreateIdentity(join(dir, 'same'))
    const b = await loadOrCreateIdentity(join(dir, 'same'))
    expect(peerIdFromPrivateKey(b).toString()).toBe(peerIdFromPrivateKey(a).toString())
    expect(b.equals(a)).toBe(true)
  })

  it('[L2] concurrent first starts in one data dir agree on one key', async () => {
    const keys = await Promise.all([1, 2, 3].map(() => loadOrCreateIdentity(join(dir, 'race'))))
    const ids = new Set(keys.map((k) => peerIdFromPrivateKey(k).toString()))
    expect(ids.size).toBe(1)
  })

  it('[L3] a key file readable by group or others is refused with code IDENTITY_KEY_PERMISSIONS', async () => {
    const d = join(dir, 'wide')
    await loadOrCreateIdentity(d)
    await chmod(join(d, IDENTITY_KEY_FILE), 0o644)
    const err = await loadOrCreateIdentity(d).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(IdentityError)
    expect(err).toMatchObject({ code: 'IDENTITY_KEY_PERMISSIONS' })
    expect((err as Error).message).toContain('chmod 600')
    await restrictIdentityFile(d)
    await expect(loadOrCreateIdentity(d)).resolves.toBeDefined()
  })

  it('[L4] a corrupt key file is refused with code IDENTITY_KEY_CORRUPT and left untouched', async () => {
    const d = join(dir, 'corrupt')
    await loadOrCreateIdentity(d)
    const path = join(d, IDENTITY_KEY_FILE)
    await writeFile(path, 'not a key at all', { mode: 0o600 })
    await expect(loadOrCreateIdentity(d)).rejects.toMatchObject({ code: 'IDENTITY_KEY_CORRUPT' })
    expect(await readFile(path, 'utf8')).toBe('not a key at all')
  })

  it('[L2] a peer process restarted on the same data dir keeps its peer id (real processes)', async () => {
    const config = { role: 'peer' as const, dataDir: join(dir, 'proc'), listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true }
    const first = await startPeer(config, { name: 'id-1' })
    const id = first.info.peerId
    await first.kill('SIGKILL')
    const second = await startPeer(config, { name: 'id-2' })
    expect(second.info.peerId).toBe(id)
    await second.stop()
  })

  it('[L3] a peer process refuses to start with a world-readable key file', async () => {
    const d = join(dir, 'proc-wide')
    await loadOrCreateIdentity(d)
    await chmod(join(d, IDENTITY_KEY_FILE), 0o604)
    await expect(startPeer({ role: 'peer', dataDir: d, listen: ['/ip4/127.0.0.1/tcp/0'] }, { name: 'id-wide' }))
      .rejects.toMatchObject({ code: 'PROCESS_EXITED' })
  })
})
