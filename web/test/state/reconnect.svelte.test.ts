// @vitest-environment node
/**
 * A page left open while its relay restarts must reconnect by itself (libp2p alone gives up after its
 * retries, and never retries a relay that was down at start). The connection state follows.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConnectionState } from '../../src/lib/connection/connection-state.svelte.js'
import { freePort, startRelay, type RelayHandle } from '../e2e/harness.js'
import { bootstrapOf, memoryProfile, startSession, stopSessions, waitFor } from './helpers.js'

let relay: RelayHandle | undefined
let dir: string | undefined

afterEach(stopSessions)
afterAll(async () => {
  await relay?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('reconnecting to the relay', () => {
  it('starts while the relay is down, connects when it comes up, and again after it restarts', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quire-web-reconnect-'))
    const ports = { tcp: await freePort(), ws: await freePort() }
    // Learn the relay's address (its key lives in the data dir, so a restart keeps the peer id).
    relay = await startRelay(join(dir, 'relay'), ports)
    const addr = relay.addresses.find((a) => !a.includes('/ws'))!
    await relay.stop()
    relay = undefined

    const session = await startSession(await memoryProfile(), bootstrapOf([addr]))
    const state = new ConnectionState(session.node, () => session.relayPeerIds)
    await new Promise((r) => setTimeout(r, 1_500))
    expect(state.relayConnected).toBe(false)

    relay = await startRelay(join(dir, 'relay'), ports)
    await waitFor('the first connection to the relay', () => state.relayConnected, 20_000)
    expect(state.peers.find((p) => p.relay)?.best).toBe('direct')

    await relay.stop()
    relay = undefined
    await waitFor('the relay connection to drop', () => !state.relayConnected, 10_000)
    relay = await startRelay(join(dir, 'relay'), ports)
    await waitFor('the connection after the restart', () => state.relayConnected, 20_000)
  })
})
