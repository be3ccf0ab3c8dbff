import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { KernelInfo } from './types.js'
import { isObject } from './wire.js'

/** The parts of a kernel_info_reply's content we keep, each checked: the kernel is untrusted. */
export function toKernelInfo(content: Record<string, unknown>): KernelInfo {
  const text = (value: unknown) => (typeof value === 'string' ? value : '')
  return {
    implementation: text(content.implementation),
    implementationVersion: text(content.implementation_version),
    protocolVersion: text(content.protocol_version),
    banner: text(content.banner),
    languageInfo: isObject(content.language_info) ? content.language_info : {},
  }
}

/** Removes the socket files of an earlier launch, so the new kernel binds fresh ones. */
export async function removeSockets(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [])) {
    if (/^k-\d+$/.test(name)) await rm(join(dir, name), { force: true })
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function abortPromise(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return
    if (signal.aborted) reject(signal.reason)
    // Only for the start-up race; `once` and a short-lived start keep this from piling up listeners.
    signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
}
