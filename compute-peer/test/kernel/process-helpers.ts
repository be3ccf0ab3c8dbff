import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Kernel, KernelStatus } from '@quire/compute-peer'

/**
 * Host pids whose command line or mounts mention `text`. A kernel's ipc directory is in the mounts of every
 * process of its sandbox (bind-mounted at /run/kernel, S2), and in the command line of an unsandboxed one.
 */
export function pidsMentioning(text: string): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      const cmdline = readFileSync(join('/proc', name, 'cmdline'), 'utf8')
      if (cmdline.includes(text) || readFileSync(join('/proc', name, 'mountinfo'), 'utf8').includes(text)) pids.push(Number(name))
    } catch {
      // exited while we looked
    }
  }
  return pids
}

/** The kernel's ipc directory, as the launcher lays it out under its state directory. */
export function ipcDirOf(stateDir: string, kernel: Kernel): string {
  return join(stateDir, 'kernels', kernel.id)
}

/** Host pid of the kernel's interpreter (not bwrap): the process of its sandbox whose argv has `-f`. */
export function kernelInterpreterPid(stateDir: string, kernel: Kernel): number | undefined {
  return pidsMentioning(ipcDirOf(stateDir, kernel)).find((pid) => {
    const argv = readFileSync(join('/proc', String(pid), 'cmdline'), 'utf8').split('\0')
    return !argv[0]!.endsWith('bwrap') && argv.includes('-f')
  })
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Resolves with the reason when the kernel reaches `status`. */
export function nextStatus(kernel: Kernel, status: KernelStatus, timeoutMs = 30_000): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kernel did not become ${status} within ${timeoutMs} ms`)), timeoutMs)
    const listener = (next: KernelStatus, reason?: string) => {
      if (next !== status) return
      clearTimeout(timer)
      kernel.off('status', listener)
      resolve(reason)
    }
    kernel.on('status', listener)
  })
}
