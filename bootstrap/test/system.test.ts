import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { detectSystemFeatures, installCommand, isDebianLike, missingFeatures, packagesOf, parseOsRelease, SYSTEM_FEATURES, SYSTEM_PYTHON } from '@quire/bootstrap'
import { runQuire } from './helpers.js'

function script(dir: string, name: string, body: string): string {
  const path = join(dir, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

describe('system dependency detection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quire-system-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('finds exactly the programs that work on PATH, and a Python that can import ipykernel', async () => {
    const bin = join(dir, 'bin')
    rmSync(bin, { recursive: true, force: true })
    mkdirSync(bin)
    script(bin, 'bwrap', 'exit 0')
    script(bin, 'latexmk', 'exit 0')
    script(bin, 'pdflatex', 'exit 1') // installed but broken: LaTeX does not count as present
    script(bin, 'sh', 'exec /bin/sh "$@"')
    // A Python that has ipykernel but not matplotlib.
    const python = script(dir, 'python3', 'case "$2" in *ipykernel*) exit 0;; esac\nexit 1')
    const statuses = await detectSystemFeatures({
      env: { PATH: bin },
      commandFor: (check) => (check.command === SYSTEM_PYTHON ? python : check.command),
    })
    const present = Object.fromEntries(statuses.map((s) => [s.feature.id, s.present]))
    expect(present).toEqual({ 'python-kernel': true, matplotlib: false, sandbox: true, latex: false, snapshots: false, sage: false })
    const latex = statuses.find((s) => s.feature.id === 'latex')!
    expect(latex.reason).toBe('pdflatex --version: exit status 1')
    expect(statuses.find((s) => s.feature.id === 'snapshots')!.reason).toBe('mkfs.btrfs -V: not found')
    // Sage is optional: never reported missing unless asked for.
    const missing = missingFeatures(statuses).map((s) => s.feature.id)
    expect(missing).toEqual(['matplotlib', 'latex', 'snapshots'])
    expect(packagesOf(missingFeatures(statuses))).toEqual(['python3-matplotlib', 'latexmk', 'texlive-latex-base', 'texlive-latex-recommended', 'texlive-fonts-recommended', 'texlive-bibtex-extra', 'biber', 'btrfs-progs'])
  })

  it('counts a check that hangs as failed', async () => {
    const slow = script(dir, 'slow', 'sleep 30')
    const started = Date.now()
    const [status] = await detectSystemFeatures({ features: [SYSTEM_FEATURES[0]!], timeoutMs: 300, commandFor: () => slow })
    expect(status!.present).toBe(false)
    expect(status!.reason).toContain('killed by SIGTERM')
    // Killed after 300 ms instead of running its 30 s: the bound only tells the two apart.
    expect(Date.now() - started).toBeLessThan(20_000)
  })

  it('gives the exact install command, with sudo when not root', () => {
    expect(installCommand(['bubblewrap', 'btrfs-progs'], false)).toBe('sudo apt-get update && sudo apt-get install -y --no-install-recommends bubblewrap btrfs-progs')
    expect(installCommand(['bubblewrap'], true)).toBe('apt-get update && apt-get install -y --no-install-recommends bubblewrap')
    expect(installCommand([], true)).toBe('')
  })

  it('recognizes Debian, Ubuntu and their derivatives from os-release', () => {
    expect(isDebianLike(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'))).toBe(true)
    expect(isDebianLike(parseOsRelease('ID=ubuntu\nID_LIKE=debian\n'))).toBe(true)
    expect(isDebianLike(parseOsRelease('ID=linuxmint\nID_LIKE="ubuntu debian"\n'))).toBe(true)
    const fedora = parseOsRelease('NAME="Fedora Linux"\nID=fedora\nPRETTY_NAME="Fedora Linux 40"\n')
    expect(isDebianLike(fedora)).toBe(false)
    expect(fedora.prettyName).toBe('Fedora Linux 40')
    expect(isDebianLike(undefined)).toBe(false)
  })

  it('quire setup --dry-run reports what this machine lacks and the command, installing nothing', async () => {
    const statuses = await detectSystemFeatures()
    const r = await runQuire(['setup', '--dry-run'])
    expect(r.code).toBe(0)
    for (const s of statuses.filter((x) => x.feature.optional !== true)) {
      expect(r.stdout).toContain(`${s.present ? 'ok     ' : 'missing'}  ${s.feature.packages.join(' ')}`)
    }
    const missing = missingFeatures(statuses)
    if (missing.length > 0) expect(r.stdout).toContain(`Would run: ${installCommand(packagesOf(missing), process.getuid?.() === 0)}`)
    else expect(r.stdout).toContain('Everything a compute peer uses is installed.')
    const sage = await runQuire(['setup', '--dry-run', '--with-sage'])
    expect(sage.stdout).toMatch(/(ok     |missing)  sagemath sagemath-jupyter/)
  })

  it('quire setup installs exactly what is missing with apt-get, then checks again', async () => {
    // A PATH with only a stand-in apt-get, which records its arguments and "installs" the programs.
    const bin = join(dir, 'apt-bin')
    mkdirSync(bin, { recursive: true })
    const log = join(dir, 'apt.log')
    script(bin, 'apt-get', [
      `echo "$*" >> ${log}`,
      'case "$1" in install) for p in bwrap latexmk pdflatex biber mkfs.btrfs; do',
      `  printf '#!/bin/sh\nexit 0\n' > ${bin}/$p; /bin/chmod +x ${bin}/$p; done;; esac`,
    ].join('\n'))
    const env = { PATH: bin }
    const missing = missingFeatures(await detectSystemFeatures({ env }))
    const packages = packagesOf(missing)
    expect(packages).toEqual(expect.arrayContaining(['bubblewrap', 'latexmk', 'btrfs-progs']))
    const r = await runQuire(['setup'], { env })
    if (process.getuid?.() !== 0) {
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`installing needs root. Run:\n  ${installCommand(packages, false)}`)
      return
    }
    expect(readFileSync(log, 'utf8')).toBe(`update\ninstall -y --no-install-recommends ${packages.join(' ')}\n`)
    // The system Python's packages cannot be faked: if this machine lacks them, setup says so after installing.
    const python = missing.filter((m) => m.feature.id === 'python-kernel' || m.feature.id === 'matplotlib')
    if (python.length === 0) {
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('Done: everything a compute peer uses is installed.')
    } else {
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('QUIRE_SETUP_FAILED')
    }
  })
})
