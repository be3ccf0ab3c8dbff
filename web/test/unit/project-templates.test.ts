// @vitest-environment node
/**
 * The paper template: its files land in a new project as ordinary text documents, and (where TeX Live is
 * installed) the article builds with its bibliography: both citations resolve.
 */
import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import * as A from '@automerge/automerge'
import { Repo, type AutomergeUrl } from '@automerge/automerge-repo'
import { createProject, readText } from '@quire/crdt'
import { projectFiles } from '../../src/lib/files/file-ops.js'
import { applyTemplate, projectTemplate, PROJECT_TEMPLATES } from '../../src/lib/projects/project-templates.js'
import { MemoryBlobs } from './helpers/memory-blobs.js'

const self = { peerId: '12D3KooWAlice' }

function onPath(command: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)))
}

const texMissing = ['latexmk', 'pdflatex', 'bibtex'].filter((c) => !onPath(c))
if (texMissing.length > 0) console.warn(`paper template build skipped: ${texMissing.join(', ')} not on PATH (install latexmk and TeX Live; .ci/run does)`)

describe('project templates', () => {
  it('the paper template writes main.tex and refs.bib as text documents and says to open main.tex', async () => {
    const repo = new Repo()
    const project = repo.import<unknown>(A.save(createProject({ name: 'Paper', owner: self.peerId }) as A.Doc<unknown>))
    const opened = await applyTemplate({ repo, project, blobs: new MemoryBlobs(), self }, projectTemplate('paper'))
    const files = projectFiles(project)
    expect(files.map((f) => [f.path, f.kind]).sort()).toEqual([['main.tex', 'text'], ['refs.bib', 'text']])
    const main = files.find((f) => f.path === 'main.tex')!
    expect(opened).toBe(main.id)
    if (main.kind !== 'text') throw new Error('main.tex is not a text document')
    const text = readText((await repo.find<unknown>(main.url as AutomergeUrl)).doc())
    expect(text.ok && text.value.content).toContain('\\bibliography{refs}')
  })

  it('the empty template writes nothing; an unknown id is the empty template', async () => {
    const repo = new Repo()
    const project = repo.import<unknown>(A.save(createProject({ name: 'Empty', owner: self.peerId }) as A.Doc<unknown>))
    expect(await applyTemplate({ repo, project, blobs: new MemoryBlobs(), self }, projectTemplate('nonsense'))).toBeUndefined()
    expect(projectFiles(project)).toEqual([])
    expect(PROJECT_TEMPLATES.map((t) => t.id)).toEqual(['empty', 'paper'])
  })

  it.skipIf(texMissing.length > 0)('the paper builds with latexmk, with both citations resolved from refs.bib', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-template-'))
    try {
      for (const file of projectTemplate('paper').files) await writeFile(join(dir, file.path), file.text)
      execFileSync('latexmk', ['-pdf', '-interaction=nonstopmode', '-halt-on-error', 'main.tex'], { cwd: dir, timeout: 180_000, stdio: 'ignore' })
      expect(existsSync(join(dir, 'main.pdf'))).toBe(true)
      const log = await readFile(join(dir, 'main.log'), 'utf8')
      expect(log).not.toMatch(/Citation .* undefined/)
      expect(await readFile(join(dir, 'main.bbl'), 'utf8')).toMatch(/knuth1984[\s\S]*lamport1994|lamport1994[\s\S]*knuth1984/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 200_000)
})
