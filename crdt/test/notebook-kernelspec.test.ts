import * as A from '@automerge/automerge'
import { CrdtError, createNotebook, exportIpynb, readNotebook, setKernelspec, type NotebookDoc } from '../src/index.js'
import { describe, expect, it } from 'vitest'

type Doc = A.Doc<NotebookDoc>
const PYTHON = { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }
const SAGE = { name: 'sagemath', display_name: 'SageMath 9.5', language: 'sage' }

describe('the notebook kernel (N29)', () => {
  it('[N29] setKernelspec sets the kernelspec and language_info, read back and exported so Jupyter does not ask for a kernel', () => {
    const doc = A.change(createNotebook(), (d) => setKernelspec(d, SAGE))
    const read = readNotebook(doc)
    expect(read.kernelspec).toEqual(SAGE)
    const ipynb = exportIpynb(doc) as unknown as { metadata: { kernelspec?: unknown; language_info?: { name?: string } } }
    expect(ipynb.metadata.kernelspec).toEqual(SAGE)
    expect(ipynb.metadata.language_info?.name).toBe('sage')
  })

  it('[N29] switching the kernel replaces the kernelspec whole and drops the old language details', () => {
    let doc: Doc = createNotebook({ kernelspec: PYTHON })
    doc = A.change(doc, (d) => { (d.metadata as Record<string, unknown>)['language_info'] = { name: 'python', version: '3.11.2' } })
    doc = A.change(doc, (d) => setKernelspec(d, SAGE))
    const ipynb = exportIpynb(doc) as unknown as { metadata: { kernelspec?: unknown; language_info?: Record<string, unknown> } }
    expect(ipynb.metadata.kernelspec).toEqual(SAGE)
    expect(ipynb.metadata.language_info).toEqual({ name: 'sage' })
  })

  it('[N29] the same language keeps its language_info details', () => {
    let doc: Doc = createNotebook({ kernelspec: PYTHON })
    doc = A.change(doc, (d) => { (d.metadata as Record<string, unknown>)['language_info'] = { name: 'python', version: '3.11.2' } })
    doc = A.change(doc, (d) => setKernelspec(d, { name: 'python3-venv', display_name: 'Python (venv)', language: 'python' }))
    const ipynb = exportIpynb(doc) as unknown as { metadata: { language_info?: Record<string, unknown> } }
    expect(ipynb.metadata.language_info).toEqual({ name: 'python', version: '3.11.2' })
  })

  it('[N29] concurrent kernel choices converge on one whole kernelspec, never a mix of both', () => {
    const base = createNotebook({ kernelspec: PYTHON })
    const a = A.change(A.clone(base, { actor: 'aa'.repeat(16) }), (d) => setKernelspec(d, SAGE))
    const b = A.change(A.clone(base, { actor: 'bb'.repeat(16) }), (d) => setKernelspec(d, { name: 'ir', display_name: 'R', language: 'R' }))
    const ab = readNotebook(A.merge(A.clone(a), b))
    const ba = readNotebook(A.merge(A.clone(b), a))
    expect(ab.kernelspec).toEqual(ba.kernelspec)
    expect([SAGE.name, 'ir']).toContain(ab.kernelspec?.name)
    const winner = ab.kernelspec?.name === 'ir' ? { name: 'ir', display_name: 'R', language: 'R' } : SAGE
    expect(ab.kernelspec).toEqual(winner)
  })

  it('[N29] a kernelspec without string name and display_name is INVALID_ARGUMENT and changes nothing', () => {
    const doc = createNotebook({ kernelspec: PYTHON })
    expect(() => A.change(doc, (d) => setKernelspec(d, { name: 'x' } as never))).toThrow(CrdtError)
    try { A.change(doc, (d) => setKernelspec(d, { name: 1 } as never)) } catch (err) { expect((err as CrdtError).code).toBe('INVALID_ARGUMENT') }
    const read = readNotebook(doc)
    expect(read.kernelspec).toEqual(PYTHON)
  })
})
