/**
 * Waiting until the workspace has written the requested version of a `.tex` file (TX4). The workspace
 * runner writes documents to disk on its own; rather than reach into it, the build compares the file's
 * bytes with the versions the document went through since the request: the first match (the latest one
 * wins) is a version that includes the requested heads, and its heads are the build's `builtHeads`.
 */
import { constants } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import type { DocHandle } from '@automerge/automerge-repo'
import { readText, type TextDoc } from '@quire/crdt'

/** Versions remembered while waiting; a member typing fast makes many, and the disk is at most a few behind. */
const KEEP_VERSIONS = 64
const POLL_MS = 25

interface Version {
  readonly heads: string[]
  readonly bytes: Buffer
}

/** Whether the document has every head (hex change hash) of `heads`. */
export function hasHeads(handle: DocHandle<TextDoc>, heads: readonly string[]): boolean {
  try {
    return A.hasHeads(handle.doc(), [...heads])
  } catch {
    return false
  }
}

/**
 * Resolves with the heads of the version the file at `path` holds once it holds one that includes
 * `requested` (first waiting for the document to have those heads), or undefined after `timeoutMs` (or
 * when `signal` aborts).
 */
export async function waitForDisk(handle: DocHandle<TextDoc>, requested: readonly string[], workdir: string, path: string, timeoutMs: number, signal?: AbortSignal): Promise<string[] | undefined> {
  const deadline = Date.now() + timeoutMs
  while (!hasHeads(handle, requested)) {
    if (Date.now() > deadline || signal?.aborted === true) return undefined
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  const versions: Version[] = []
  const remember = (): void => {
    const read = readText(handle.doc())
    if (!read.ok) return
    const bytes = Buffer.from(read.value.content, 'utf8')
    if (versions.length > 0 && versions[versions.length - 1]!.bytes.equals(bytes)) return
    versions.push({ heads: A.getHeads(handle.doc()), bytes })
    if (versions.length > KEEP_VERSIONS) versions.shift()
  }
  remember()
  handle.on('change', remember)
  try {
    for (;;) {
      const onDisk = await readFile(join(workdir, path), { flag: constants.O_RDONLY | constants.O_NOFOLLOW }).catch(() => undefined)
      if (onDisk !== undefined) {
        for (let i = versions.length - 1; i >= 0; i--) if (versions[i]!.bytes.equals(onDisk)) return versions[i]!.heads
      }
      if (Date.now() > deadline || signal?.aborted === true) return undefined
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
  } finally {
    handle.off('change', remember)
  }
}
