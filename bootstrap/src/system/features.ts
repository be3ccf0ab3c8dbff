/**
 * The Debian packages a compute peer uses, each with the check that tells whether it works here. One
 * table for `quire up` (what is missing), `quire setup` (what to install), `.ci/run` and the docs.
 */

/** How to tell whether a feature works: run a command and expect exit status 0. */
export interface FeatureCheck {
  /** Program to run: an absolute path, or a name looked up on PATH. */
  command: string
  args: readonly string[]
}

/** Something a compute peer can offer when some Debian packages are installed. */
export interface SystemFeature {
  id: 'python-kernel' | 'matplotlib' | 'sandbox' | 'latex' | 'snapshots' | 'sage'
  /** What a user loses without it, in a few words. */
  gives: string
  /** Debian/Ubuntu packages that provide it. */
  packages: readonly string[]
  /** All of these must succeed. */
  checks: readonly FeatureCheck[]
  /** Optional features are installed only when asked (`quire setup --with-sage`) and never reported as missing. */
  optional?: boolean
}

/**
 * The system Python: Debian's Python packages (ipykernel, matplotlib) are visible to /usr/bin/python3 only,
 * not to another python3 that may come first on PATH.
 */
export const SYSTEM_PYTHON = '/usr/bin/python3'

export const SYSTEM_FEATURES: readonly SystemFeature[] = [
  {
    id: 'python-kernel',
    gives: 'Python notebooks (Jupyter kernel)',
    packages: ['python3-ipykernel'],
    checks: [{ command: SYSTEM_PYTHON, args: ['-c', 'import ipykernel'] }],
  },
  {
    id: 'matplotlib',
    gives: 'plots in Python notebooks',
    packages: ['python3-matplotlib'],
    checks: [{ command: SYSTEM_PYTHON, args: ['-c', 'import matplotlib'] }],
  },
  {
    id: 'sandbox',
    gives: 'the sandbox around code a project runs (bubblewrap)',
    packages: ['bubblewrap'],
    checks: [{ command: 'bwrap', args: ['--version'] }],
  },
  {
    id: 'latex',
    gives: 'LaTeX documents with PDF preview (bibliographies with BibTeX and biber)',
    packages: ['latexmk', 'texlive-latex-base', 'texlive-latex-recommended', 'texlive-fonts-recommended', 'texlive-bibtex-extra', 'biber'],
    checks: [{ command: 'latexmk', args: ['-v'] }, { command: 'pdflatex', args: ['--version'] }, { command: 'biber', args: ['--version'] }],
  },
  {
    id: 'snapshots',
    gives: 'BTRFS snapshots of project files (plain copies are used without it)',
    packages: ['btrfs-progs'],
    checks: [{ command: 'mkfs.btrfs', args: ['-V'] }],
  },
  {
    id: 'sage',
    gives: 'SageMath notebooks (about 1.5 GB)',
    packages: ['sagemath', 'sagemath-jupyter'],
    // `sage --version` takes seconds to start; the kernelspec's launcher on PATH is enough to know.
    checks: [{ command: 'sh', args: ['-c', 'command -v sage'] }],
    optional: true,
  },
]
