import { afterAll, afterEach } from 'vitest'
import { stopAllProcesses } from '@quire/node/testing'
import { startRelayProcess, type RelayProcess } from '@quire/relay/testing'
import { startClient, type Client } from './client.js'
import { tempDir } from './helpers.js'

/**
 * Per-file fixtures of the relay process tests: a cleanup list run after each test (in reverse), every
 * process stopped after the file, clients and relay processes in their own temp data dirs.
 */
export function relayFixtures(prefix: string): {
  cleanups: Array<() => Promise<void>>
  client: () => Promise<Client>
  relayWith: (args: string[]) => Promise<RelayProcess>
} {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })
  afterAll(() => stopAllProcesses())
  return {
    cleanups,
    async client() {
      const c = await startClient()
      cleanups.push(() => c.stop())
      return c
    },
    async relayWith(args) {
      const { dir, remove } = await tempDir(prefix)
      cleanups.push(remove)
      const relay = await startRelayProcess(['--data-dir', dir, ...args])
      cleanups.push(async () => { await relay.proc.stop() })
      return relay
    },
  }
}
