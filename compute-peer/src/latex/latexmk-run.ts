/**
 * One latexmk run in the project's sandbox (TX5 to TX9): the workspace as working directory, network off,
 * shell escape off, TeX's paranoid file rules, the kernels' memory and process limits, a file size limit, and
 * two time limits: at the soft one the process group gets SIGTERM, at the hard one everything is killed.
 * Outputs go to a build directory outside the workspace, so aux files never become project files.
 */
import { existsSync } from 'node:fs'
import { access, constants, mkdir, open, readdir, readFile, stat } from 'node:fs/promises'
import { basename, delimiter, join, posix } from 'node:path'
import type { LatexEngine } from '@quire/crdt'
import type { KernelLimits } from '../kernel/types.js'
import { SANDBOX_IPC_DIR, baseSandboxEnv } from '../sandbox/bwrap-args.js'
import type { SandboxHost } from '../sandbox/capabilities.js'
import { SandboxedProcess, type SandboxExit } from '../sandbox/sandboxed-process.js'

/** What one run needs. */
export interface LatexmkRunInit {
  readonly id: string
  /** The workspace on the host. */
  readonly workdir: string
  /** The main file, workspace-relative. */
  readonly file: string
  readonly engine: LatexEngine
  /** The build directory on the host (created; kept between runs so latexmk rebuilds incrementally). */
  readonly outdir: string
  readonly host: SandboxHost
  readonly unsafeNoSandbox?: boolean
  readonly limits: KernelLimits
  readonly softTimeoutMs: number
  readonly hardTimeoutMs: number
  /** Aborted: the run is killed at once. */
  readonly signal?: AbortSignal
}

/** How a run ended and what it left. */
export interface LatexmkResult {
  readonly exit: SandboxExit
  /** Ended by the soft or hard time limit. */
  readonly timedOut: boolean
  /** A process was killed for writing past the file size limit. */
  readonly tooLarge: boolean
  readonly startedAt: number
  readonly finishedAt: number
  readonly pdf?: Uint8Array
  readonly synctex?: Uint8Array
  /** TeX's .log (or latexmk's own output when TeX never wrote one). */
  readonly log: string
  /** The tail of latexmk's own output (which tool failed, biber's complaints). */
  readonly output: string
}

const ENGINE_FLAG: Record<LatexEngine, string> = { pdf: '-pdf', xelatex: '-xelatex', lualatex: '-lualatex' }

/** Where the build directory appears inside the sandbox: a neutral path, writable, outside the workspace. */
const SANDBOX_OUTDIR = SANDBOX_IPC_DIR

/**
 * TeX's own guards, on top of the sandbox: no shell escape (`shell_escape=f` besides `-no-shell-escape`),
 * paranoid reading and writing (no absolute paths, no `..`, no dot files; writing only in the build
 * directory via TEXMFOUTPUT), and unwrapped log lines so the parser sees whole messages.
 */
export function texEnv(outdir: string): Record<string, string> {
  return {
    ...baseSandboxEnv(),
    shell_escape: 'f',
    openin_any: 'p',
    openout_any: 'p',
    TEXMFOUTPUT: outdir,
    max_print_line: '10000',
    error_line: '254',
    half_error_line: '238',
    TEXMFVAR: '/tmp/home/texmf-var',
  }
}

/**
 * TeX Live directories outside /usr and /etc (which every sandbox sees): Debian keeps the formats
 * (`pdflatex.fmt`) and the file name databases in /var/lib/texmf, and fontconfig's cache in /var/cache.
 */
const TEX_SYSTEM_DIRS = ['/var/lib/texmf', '/var/cache/fontconfig']

function texSystemDirs(): string[] {
  return TEX_SYSTEM_DIRS.filter((dir) => existsSync(dir))
}

/** latexmk's arguments: `-norc` so a latexmkrc in the project cannot run Perl of its own choosing. */
export function latexmkArgs(engine: LatexEngine, outdir: string, file: string): string[] {
  return [
    'latexmk', '-norc', ENGINE_FLAG[engine], '-synctex=1', '-interaction=nonstopmode', '-file-line-error',
    '-no-shell-escape', '-cd', `-outdir=${outdir}`, file,
  ]
}

/** Runs latexmk once; never throws for what TeX does (a failed build is a result), only when the sandbox cannot start. */
export async function runLatexmk(init: LatexmkRunInit): Promise<LatexmkResult> {
  await mkdir(init.outdir, { recursive: true, mode: 0o700 })
  const sandboxed = init.host.bwrap !== undefined && init.unsafeNoSandbox !== true
  const outdirInside = sandboxed ? SANDBOX_OUTDIR : init.outdir
  const startedAt = Date.now()
  const proc = await SandboxedProcess.spawn({
    id: `latex-${init.id}`,
    argv: latexmkArgs(init.engine, outdirInside, init.file),
    limits: init.limits,
    host: init.host,
    workdir: init.workdir,
    ipcDir: init.outdir,
    readOnly: texSystemDirs(),
    network: false,
    env: texEnv(outdirInside),
    ...(init.unsafeNoSandbox === true && { unsafeNoSandbox: true }),
  })
  let timedOut = false
  const soft = setTimeout(() => {
    timedOut = true
    proc.signalGroup('SIGTERM')
  }, init.softTimeoutMs)
  const hard = setTimeout(() => {
    timedOut = true
    void proc.kill()
  }, init.hardTimeoutMs)
  const onAbort = (): void => void proc.kill()
  init.signal?.addEventListener('abort', onAbort, { once: true })
  let exit: SandboxExit
  try {
    exit = await proc.exited
    // latexmk gone, but a child that ignored SIGTERM (or was started past it) must not outlive the build.
    if (timedOut) await proc.kill()
  } finally {
    clearTimeout(soft)
    clearTimeout(hard)
    init.signal?.removeEventListener('abort', onAbort)
    await proc.dispose().catch(() => undefined)
  }
  const finishedAt = Date.now()
  const job = basename(init.file).replace(/\.tex$/i, '')
  const read = (ext: string): Promise<Uint8Array | undefined> =>
    readFile(join(init.outdir, `${job}${ext}`), { flag: constants.O_RDONLY | constants.O_NOFOLLOW }).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength), () => undefined)
  const [pdf, synctex, texLog] = await Promise.all([read('.pdf'), read('.synctex.gz'), readLog(join(init.outdir, `${job}.log`))])
  const output = proc.output
  const tooLarge = /SIGXFSZ|File too large/i.test(exit.reason) || (init.limits.fileSizeBytes !== undefined && (await largestOutput(init.outdir)) >= init.limits.fileSizeBytes - SIZE_SLACK)
  return {
    exit, timedOut, tooLarge, startedAt, finishedAt,
    ...(pdf !== undefined && { pdf }),
    ...(synctex !== undefined && { synctex }),
    log: texLog ?? output,
    output,
  }
}

/** Logs are kept and parsed up to this size: the start (which files, the first errors) and the end. */
const LOG_HEAD = 1024 * 1024
const LOG_TAIL = 3 * 1024 * 1024

/** TeX's log, with the middle cut out when it is huge (a runaway loop of \typeout). */
async function readLog(path: string): Promise<string | undefined> {
  const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined)
  if (file === undefined) return undefined
  try {
    const { size } = await file.stat()
    if (size <= LOG_HEAD + LOG_TAIL) return (await file.readFile()).toString('utf8')
    const head = Buffer.alloc(LOG_HEAD)
    const tail = Buffer.alloc(LOG_TAIL)
    await file.read(head, 0, LOG_HEAD, 0)
    await file.read(tail, 0, LOG_TAIL, size - LOG_TAIL)
    return `${head.toString('utf8')}\n[... ${size - LOG_HEAD - LOG_TAIL} bytes of the log cut ...]\n${tail.toString('utf8')}`
  } finally {
    await file.close()
  }
}

/**
 * A write past RLIMIT_FSIZE kills TeX with SIGXFSZ, which latexmk reports as a plain failure: a file in the
 * build directory that reached the limit (within one stdio buffer) tells it apart.
 */
const SIZE_SLACK = 64 * 1024

async function largestOutput(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[])
  const sizes = await Promise.all(names.map((n) => stat(join(dir, n)).then((s) => (s.isFile() ? s.size : 0), () => 0)))
  return Math.max(0, ...sizes)
}

/** The main file's directory, workspace-relative ('' at the top). */
export function mainDir(file: string): string {
  const dir = posix.dirname(file)
  return dir === '.' ? '' : dir
}

/** What a compute peer can build, found once: latexmk and the engines on PATH. */
export interface LatexAvailability {
  readonly available: boolean
  readonly engines: readonly LatexEngine[]
  readonly biber: boolean
  /** What is missing and how to install it, when something is. */
  readonly note: string
}

/** The Debian packages LaTeX builds need (also in .ci/run and `quire setup`). */
export const LATEX_PACKAGES = ['latexmk', 'texlive-latex-base', 'texlive-latex-recommended', 'texlive-fonts-recommended', 'texlive-bibtex-extra', 'biber']

export async function probeLatex(path = process.env.PATH ?? ''): Promise<LatexAvailability> {
  const has = async (program: string): Promise<boolean> => {
    for (const dir of [...path.split(delimiter), '/usr/bin', '/bin'].filter(Boolean)) {
      try {
        await access(join(dir, program), constants.X_OK)
        return true
      } catch {
        // next
      }
    }
    return false
  }
  const [latexmk, pdflatex, xelatex, lualatex, biber] = await Promise.all(['latexmk', 'pdflatex', 'xelatex', 'lualatex', 'biber'].map(has))
  const engines = ([['pdf', pdflatex], ['xelatex', xelatex], ['lualatex', lualatex]] as const).filter(([, ok]) => ok).map(([e]) => e)
  const available = latexmk === true && engines.length > 0
  const install = `apt-get install -y --no-install-recommends ${LATEX_PACKAGES.join(' ')}`
  const note = !available
    ? `LaTeX: NOT available (${latexmk ? 'no TeX engine' : 'latexmk'} not found); the operator can install it: ${install}`
    : `LaTeX: latexmk with ${engines.map((e) => (e === 'pdf' ? 'pdflatex' : e)).join(', ')}${biber ? ', biber' : ' (no biber: biblatex bibliographies fail; install biber)'}`
  return { available, engines, biber: biber === true, note }
}
