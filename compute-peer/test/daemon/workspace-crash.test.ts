/**
 * The compute peer killed with SIGKILL while its workspace writes a member's new files, a file edited and
 * one made on disk while it is down, then restarted on the same data directory: disk and documents reconcile
 * with nothing lost on either side (W14, W31). The member (child process) holds every document throughout.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { stopAllProcesses, type PeerProcess } from '@quire/node/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { startComputeProcess, startMemberWithCompute, type NotebookMemberCommands } from '../../src/testing/index.js'

const FILES = 40
let member: PeerProcess<NotebookMemberCommands>
let dataDir: string

afterAll(async () => {
  await stopAllProcesses()
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
})

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const diskText = (file: string): string | undefined => (existsSync(file) ? readFileSync(file, 'utf8') : undefined)

describe('the workspace across a compute peer crash', () => {
  it('[W31] [W14] a SIGKILL in the middle of writing files, edits on disk while down: after a restart both sides have everything', async () => {
    const world = await startMemberWithCompute('quire-ws-crash-')
    ;({ member, dataDir } = world)
    const { compute: first, computeArgs: args } = world
    const workdir = join(dataDir, 'projects', world.projectId)
    await until(() => existsSync(join(workdir, 'member.ipynb')), 'the workspace running')

    for (let i = 0; i < FILES; i++) await member.request('addText', { path: `notes/f${i}.txt`, content: `file ${i}\n` })
    // Killed as soon as the first of the new files is on disk: the rest are on their way.
    await until(() => existsSync(join(workdir, 'notes', 'f0.txt')), 'the first file on disk')
    await first.proc.kill('SIGKILL')
    const onDisk = [...Array(FILES).keys()].filter((i) => existsSync(join(workdir, 'notes', `f${i}.txt`))).length
    console.log(`killed with ${onDisk} of ${FILES} new files on disk`)

    // While it is down, code's leftovers: an edit of a file it wrote, and a new file.
    writeFileSync(join(workdir, 'notes', 'f0.txt'), 'file 0\nedited while the compute peer was down\n')
    writeFileSync(join(workdir, 'made-while-down.txt'), 'made while the compute peer was down\n')

    const second = await startComputeProcess(args)
    expect(second.info.peerId).toBe(first.info.peerId)
    await member.request('dial', { address: second.info.addresses[0]! })

    await until(async () => (await member.request('readText', { path: 'made-while-down.txt' })) === 'made while the compute peer was down\n', 'the new file at the member')
    await until(async () => (await member.request('readText', { path: 'notes/f0.txt' })) === 'file 0\nedited while the compute peer was down\n', 'the edit at the member')
    await until(() => [...Array(FILES).keys()].every((i) => diskText(join(workdir, 'notes', `f${i}.txt`)) === (i === 0 ? 'file 0\nedited while the compute peer was down\n' : `file ${i}\n`)), 'every file on disk')
    const files = await member.request('files', undefined)
    expect(files.filter((f) => f.path.startsWith('notes/')).length).toBe(FILES)
    expect(new Set(files.map((f) => f.path)).size).toBe(files.length)
    for (let i = 1; i < FILES; i++) expect(await member.request('readText', { path: `notes/f${i}.txt` })).toBe(`file ${i}\n`)
  }, 240_000)
})
