import { execFile } from 'node:child_process'
import { readdir, readFile, realpath } from 'node:fs/promises'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import type { KernelSpecInfo } from './types.js'
import { isObject } from './wire.js'

export interface FindKernelSpecsOptions {
  /** Directories that hold `kernels/<name>/kernel.json`, searched first to last; a later one never overrides. */
  readonly dataDirs?: readonly string[]
  readonly signal?: AbortSignal
}

/**
 * The Jupyter data directories in Jupyter's own order: JUPYTER_PATH, the user's, then the system's. A
 * kernelspec name found in an earlier directory hides the same name later, as in `jupyter kernelspec list`.
 */
export function jupyterDataDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.JUPYTER_PATH ?? '').split(delimiter).filter(Boolean)
  const dataHome = env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return [...fromEnv, join(dataHome, 'jupyter'), '/usr/local/share/jupyter', '/usr/share/jupyter']
}

/** Every installed kernelspec, sorted by name. A broken kernel.json is skipped, never fatal. */
export async function findKernelSpecs(options: FindKernelSpecsOptions = {}): Promise<KernelSpecInfo[]> {
  const found = new Map<string, KernelSpecInfo>()
  for (const dataDir of options.dataDirs ?? jupyterDataDirs()) {
    options.signal?.throwIfAborted()
    const kernelsDir = join(dataDir, 'kernels')
    let names: string[]
    try {
      names = await readdir(kernelsDir)
    } catch {
      continue
    }
    for (const name of names.sort()) {
      if (found.has(name)) continue
      const spec = await readKernelSpec(join(kernelsDir, name), name)
      if (spec) found.set(name, spec)
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name))
}

/** Parses one kernelspec directory defensively: kernel.json is written by any package, trust none of it. */
export async function readKernelSpec(resourceDir: string, name: string): Promise<KernelSpecInfo | undefined> {
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(join(resourceDir, 'kernel.json'), 'utf8'))
  } catch {
    return undefined
  }
  if (!isObject(raw)) return undefined
  const argv = raw.argv
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((arg) => typeof arg === 'string')) return undefined
  const env: Record<string, string> = {}
  if (isObject(raw.env)) {
    for (const [key, value] of Object.entries(raw.env)) if (typeof value === 'string') env[key] = value
  }
  return {
    name,
    displayName: typeof raw.display_name === 'string' ? raw.display_name : name,
    language: typeof raw.language === 'string' ? raw.language : 'unknown',
    argv: argv as string[],
    resourceDir,
    env,
    interruptMode: raw.interrupt_mode === 'message' ? 'message' : 'signal',
  }
}

const importsIpykernel = new Map<string, Promise<boolean>>()

/** Whether `python` can import ipykernel; cached per interpreter path. */
function canImportIpykernel(python: string): Promise<boolean> {
  let answer = importsIpykernel.get(python)
  if (!answer) {
    answer = new Promise((resolve) => {
      execFile(python, ['-c', 'import ipykernel'], { timeout: 20_000 }, (error) => resolve(!error))
    })
    importsIpykernel.set(python, answer)
  }
  return answer
}

/**
 * The argv to run for a kernelspec, with a bare `python`/`python3` replaced by an interpreter that can
 * import ipykernel. Why: kernel.json often says `python3`, and the first `python3` on PATH (pyenv, conda)
 * may not see the system's ipykernel; inside the sandbox only system directories exist anyway.
 */
export async function resolveKernelArgv(spec: KernelSpecInfo): Promise<string[]> {
  const argv = [...spec.argv]
  const program = argv[0]!
  if (program.includes('/') || !/^python[0-9.]*$/.test(program)) return argv
  const onPath = await findOnPath(program)
  // The PATH interpreter only counts when it lives where the sandbox can see it (/usr).
  const visible = onPath && onPath.startsWith('/usr/') ? [onPath] : []
  for (const candidate of [...visible, `/usr/bin/${program}`, '/usr/bin/python3']) {
    if (await canImportIpykernel(candidate)) {
      argv[0] = candidate
      return argv
    }
  }
  return argv
}

async function findOnPath(program: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const path = await realpath(join(dir, program)).catch(() => undefined)
    if (path) return path
  }
  return undefined
}

/** Substitutes the placeholders Jupyter defines for kernel.json argv. */
export function expandKernelArgv(argv: readonly string[], connectionFile: string, resourceDir: string): string[] {
  return argv.map((arg) => arg.replaceAll('{connection_file}', connectionFile).replaceAll('{resource_dir}', resourceDir))
}
