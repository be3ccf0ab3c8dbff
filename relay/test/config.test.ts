import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DEFAULT_LIMITS, OPTIONS, envName, flagName, helpText, resolveRelayConfig } from '@quire/relay'
import { relayCliPath } from '@quire/relay/testing'
import { tempDir } from './helpers.js'

const run = promisify(execFile)

describe('relay configuration', () => {
  it('[RL1] flags beat environment variables, which beat the config file, which beats the defaults', async () => {
    const { dir, remove } = await tempDir('quire-relay-config-')
    try {
      const file = join(dir, 'relay.json')
      await writeFile(file, JSON.stringify({ dataDir: 'data', maxConnections: 10, maxLoadedDocuments: 20, idleUnloadMs: 30, listen: ['/ip4/127.0.0.1/tcp/1'] }))
      const env = { QUIRE_RELAY_MAX_CONNECTIONS: '11', QUIRE_RELAY_MAX_LOADED_DOCUMENTS: '21', QUIRE_RELAY_PEERS: '' }
      const { config } = resolveRelayConfig(['--config', file, '--max-connections', '12', '--allow', 'a,b'], env, '/somewhere')
      expect(config!.limits.maxConnections).toBe(12) // flag
      expect(config!.limits.maxLoadedDocuments).toBe(21) // environment
      expect(config!.limits.idleUnloadMs).toBe(30) // file
      expect(config!.limits.maxReservations).toBe(DEFAULT_LIMITS.maxReservations) // default
      expect(config!.dataDir).toBe(join(dir, 'data')) // relative to the file
      expect(config!.listen).toEqual(['/ip4/127.0.0.1/tcp/1'])
      expect(config!.hosting).toEqual({ mode: 'grants', documents: ['a', 'b'], projects: [] })
      expect(config!.peers).toEqual([]) // an empty variable counts as unset
      const viaEnvFile = resolveRelayConfig([], { QUIRE_RELAY_CONFIG: file }, '/')
      expect(viaEnvFile.config!.limits.maxConnections).toBe(10)
    } finally {
      await remove()
    }
  })

  it('[RL2] a bad flag, variable or config file field is named in the error, with a stable code', async () => {
    const { dir, remove } = await tempDir('quire-relay-config-')
    try {
      expect(() => resolveRelayConfig(['--max-conections', '3'], {})).toThrow(expect.objectContaining({ code: 'RELAY_FLAG_INVALID', message: expect.stringContaining('--max-conections') }))
      expect(() => resolveRelayConfig(['--max-connections', '0'], {})).toThrow(expect.objectContaining({ code: 'RELAY_FLAG_INVALID', message: expect.stringContaining('flag --max-connections: must be at least 1') }))
      expect(() => resolveRelayConfig(['--hosting'], {})).toThrow(expect.objectContaining({ code: 'RELAY_FLAG_INVALID' }))
      expect(() => resolveRelayConfig([], { QUIRE_RELAY_IDLE_UNLOAD_MS: 'soon' })).toThrow(expect.objectContaining({ code: 'RELAY_ENV_INVALID', message: expect.stringContaining('QUIRE_RELAY_IDLE_UNLOAD_MS') }))
      const file = join(dir, 'bad.json')
      await writeFile(file, JSON.stringify({ hosting: 'closed' }))
      expect(() => resolveRelayConfig(['--config', file], {})).toThrow(expect.objectContaining({ code: 'RELAY_CONFIG_INVALID', message: expect.stringContaining(`${file}: field hosting`) }))
      await writeFile(file, JSON.stringify({ maxConections: 1 }))
      expect(() => resolveRelayConfig(['--config', file], {})).toThrow(expect.objectContaining({ message: expect.stringContaining('unknown field "maxConections"') }))
      await writeFile(file, '{ not json')
      expect(() => resolveRelayConfig(['--config', file], {})).toThrow(expect.objectContaining({ code: 'RELAY_CONFIG_INVALID', message: expect.stringContaining('not valid JSON') }))
      expect(() => resolveRelayConfig(['--hosting', 'open', '--allow', 'x'], {})).toThrow(expect.objectContaining({ code: 'RELAY_CONFIG_CONFLICT' }))
      // The CLI prints the message and exits 2.
      const failed = await run(process.execPath, [relayCliPath(), '--listen'], { timeout: 20_000 }).catch((e: { code: number; stderr: string }) => e)
      expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('flag --listen: expected a value') })
    } finally {
      await remove()
    }
  })

  it('[RL3] --help documents every option with its flag, variable and file field', async () => {
    const text = helpText()
    for (const o of OPTIONS) {
      expect(text).toContain(flagName(o.key))
      expect(text).toContain(envName(o.key))
      expect(text).toContain(`[${o.key}]`)
    }
    const { stdout } = await run(process.execPath, [relayCliPath(), '--help'], { timeout: 20_000 })
    expect(stdout).toBe(text)
  })

  it('[RL25] [RL2] grants quotas and the owner allowlist come from flags and an owners file; bad ids and other modes are refused', async () => {
    const { dir, remove } = await tempDir('quire-relay-owners-')
    try {
      const a = '12D3KooWGRUVh7fJ7RrHkbxDqWwAtDpvU5DQ8VZRKKPQCvtE3Ex5'
      const b = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'
      const file = join(dir, 'owners.txt')
      await writeFile(file, `# the lab\n${b}\n\n${a}  # again\n`)
      const { config } = resolveRelayConfig(['--allow-owner', a, '--allow-owners-file', file, '--max-docs-per-project', '50'], { QUIRE_RELAY_MAX_BYTES_PER_OWNER: '4096' })
      expect(config!.hosting).toEqual({ mode: 'grants', documents: [], projects: [], quotas: { owners: [a, b], maxDocumentsPerProject: 50, maxBytesPerOwner: 4096 } })
      expect(() => resolveRelayConfig(['--allow-owner', 'not-a-peer-id'], {})).toThrow(expect.objectContaining({ code: 'RELAY_CONFIG_INVALID', message: expect.stringContaining('--allow-owner') }))
      await writeFile(file, 'QmNotEd25519\n')
      expect(() => resolveRelayConfig(['--allow-owners-file', file], {})).toThrow(expect.objectContaining({ code: 'RELAY_CONFIG_INVALID', message: expect.stringContaining('line 1') }))
      expect(() => resolveRelayConfig(['--hosting', 'open', '--allow-owner', a], {})).toThrow(expect.objectContaining({ code: 'RELAY_CONFIG_CONFLICT' }))
    } finally {
      await remove()
    }
  })
})
