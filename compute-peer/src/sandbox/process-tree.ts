import { readFile, readdir } from 'node:fs/promises'

/** One process as /proc shows it: its parent and its pid in its innermost pid namespace. */
interface ProcInfo {
  readonly pid: number
  readonly ppid: number
  /** Last NSpid value: the pid the process has inside its own (innermost) pid namespace. */
  readonly nsPid: number
  /** Dead, waiting for its parent to collect its exit status: nothing left to kill. */
  readonly zombie: boolean
}

async function procInfo(pid: number): Promise<ProcInfo | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined)
  if (status === undefined) return undefined
  const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? -1)
  const nsPids = /^NSpid:\s+([\d\s]+)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [String(pid)]
  const zombie = /^State:\s+Z/m.test(status)
  return { pid, ppid, nsPid: Number(nsPids[nsPids.length - 1]), zombie }
}

/** Every process below `root` (not `root` itself), found by walking parent links in /proc. */
export async function descendants(root: number): Promise<ProcInfo[]> {
  const names = await readdir('/proc').catch(() => [] as string[])
  const all = (await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => procInfo(Number(n))))).filter((p): p is ProcInfo => p !== undefined)
  const children = new Map<number, ProcInfo[]>()
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p])
  const found: ProcInfo[] = []
  const queue = [root]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child)
      queue.push(child.pid)
    }
  }
  return found
}

/**
 * Processes a cell left behind in a sandbox whose outer process is `root`: everything below it except the
 * sandbox's own init (pid 1 inside) and the kernel (pid 2 inside, the command bubblewrap started). Without
 * a pid namespace (`sandboxed` false) `root` is the kernel itself and its descendants are the leftovers.
 */
export async function leftoverProcesses(root: number, sandboxed: boolean): Promise<number[]> {
  const below = await descendants(root)
  // A killed child of the kernel stays a zombie until the kernel collects it (Python does not unless asked):
  // it runs nothing and cannot be killed again.
  return below.filter((p) => !p.zombie && (!sandboxed || (p.nsPid !== 1 && p.nsPid !== 2))).map((p) => p.pid)
}
