import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelStorageAdapter, type LevelStorageAdapterOptions } from '@quire/crdt'
import { runStorageAdapterTests, type StorageAdapterTestContext } from '@quire/crdt/testing'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'

function memorySetup(options: LevelStorageAdapterOptions = {}) {
  return async (): Promise<StorageAdapterTestContext> => {
    const db = new MemoryLevel()
    let adapter = new LevelStorageAdapter(db, options)
    return {
      adapter,
      // memory-level keeps its data across close and open of one instance, like a directory on disk.
      reopen: async () => {
        await adapter.close()
        adapter = new LevelStorageAdapter(db, options)
        return adapter
      },
      teardown: () => adapter.close(),
    }
  }
}

function classicSetup(options: LevelStorageAdapterOptions = {}) {
  return async (): Promise<StorageAdapterTestContext> => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-storage-'))
    let adapter = new LevelStorageAdapter(new ClassicLevel(dir), options)
    return {
      adapter,
      reopen: async () => {
        await adapter.close()
        adapter = new LevelStorageAdapter(new ClassicLevel(dir), options)
        return adapter
      },
      teardown: async () => {
        await adapter.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
  }
}

runStorageAdapterTests('memory-level', memorySetup(), { reopen: true })
runStorageAdapterTests('memory-level, in a sublevel', memorySetup({ sublevel: 'docs' }), { reopen: true })
runStorageAdapterTests('classic-level', classicSetup(), { reopen: true })
runStorageAdapterTests('classic-level, sync writes in a sublevel', classicSetup({ sync: true, sublevel: 'docs' }), {
  reopen: true,
})

// automerge-repo ships an acceptance suite (@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js).
// It is not run here: its "save and loadRange" test expects loadRange to return chunks in the order they were
// saved, which StorageAdapterInterface does not promise and no sorted key-value store gives (LevelDB returns
// key order). Its other ten tests passed against this adapter on both backends (checked 2026-11-23) and each
// is covered by a rule above (S1 to S7).
