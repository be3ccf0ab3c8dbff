import { load, change } from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { appendOutput, createNotebook, insertCell, readNotebook, setExecutionCount, type NotebookDoc } from '@quire/crdt'
import {
  encodeForIpynb,
  exportFileName,
  exportNotebookText,
  importNotebookFile,
  importNotebookText,
  referencedBlobs,
} from '../../src/lib/notebook/ipynb-io.js'

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255])
const PNG_HASH = 'b'.repeat(64)
const MISSING_HASH = 'c'.repeat(64)

function sampleNotebook() {
  return change(createNotebook({ kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } }), (d) => {
    const md = insertCell(d, 0, { cellType: 'markdown', source: '# Title\n\n$e^{i\\pi}+1=0$' })
    const code = insertCell(d, 1, { cellType: 'code', source: 'import matplotlib\nplot()' })
    appendOutput(d, code, { output_type: 'stream', name: 'stdout', text: 'line 1\nline 2\n' })
    appendOutput(d, code, {
      output_type: 'display_data',
      data: { 'image/png': { blob: PNG_HASH, size: PNG.length, mime: 'image/png' }, 'text/plain': '<Figure>' },
      metadata: {},
    })
    appendOutput(d, code, { output_type: 'execute_result', data: { 'text/html': '<b>x</b>', 'text/plain': 'x' }, metadata: {}, execution_count: 4 })
    setExecutionCount(d, code, 4)
    insertCell(d, 2, { cellType: 'raw', source: 'raw text' })
    void md
  })
}

const blobs = {
  get: async (hash: string): Promise<Uint8Array> => {
    if (hash === PNG_HASH) return PNG
    throw new Error('no peer has this blob')
  },
}

describe('ipynb export and import through the UI helpers', () => {
  it('round-trips cells, outputs and blob images: export, import, same notebook', async () => {
    const original = sampleNotebook()
    const text = await exportNotebookText(original, blobs)
    expect(text.endsWith('\n')).toBe(true)
    const file = JSON.parse(text) as { nbformat: number; cells: { outputs?: { data?: Record<string, unknown> }[] }[] }
    expect(file.nbformat).toBe(4)
    // The blob was fetched and inlined as base64, as Jupyter stores images.
    expect(file.cells[1]!.outputs![1]!.data!['image/png']).toBe(Buffer.from(PNG).toString('base64'))

    const imported = importNotebookText(text, 'analysis.ipynb')
    expect(imported.name).toBe('analysis')
    const back = readNotebook(load<NotebookDoc>(imported.bytes))
    const before = readNotebook(original)
    expect(back.cells.map((c) => [c.id, c.cellType, 'source' in c ? c.source : null])).toEqual(
      before.cells.map((c) => [c.id, c.cellType, 'source' in c ? c.source : null]),
    )
    const code = back.cells[1]
    if (code?.cellType !== 'code') throw new Error('expected a code cell')
    expect(code.executionCount).toBe(4)
    expect(code.outputs[0]).toEqual({ output_type: 'stream', name: 'stdout', text: 'line 1\nline 2\n' })
    expect(code.outputs[1]).toMatchObject({ output_type: 'display_data', data: { 'image/png': Buffer.from(PNG).toString('base64') } })
    expect(code.outputs[2]).toMatchObject({ output_type: 'execute_result', data: { 'text/html': '<b>x</b>' }, execution_count: 4 })
    expect(back.kernelspec).toEqual(before.kernelspec)
  })

  it('exports a notebook whose blob no peer has, noting what is missing instead of failing', async () => {
    const doc = change(createNotebook(), (d) => {
      const id = insertCell(d, 0, { cellType: 'code', source: '' })
      appendOutput(d, id, { output_type: 'display_data', data: { 'image/png': { blob: MISSING_HASH, size: 9, mime: 'image/png' } }, metadata: {} })
    })
    const file = JSON.parse(await exportNotebookText(doc, blobs)) as { cells: { outputs: { data: Record<string, unknown> }[] }[] }
    const data = file.cells[0]!.outputs[0]!.data
    expect(data['image/png']).toBeUndefined()
    expect(String(data['text/plain'])).toContain(MISSING_HASH)
  })

  it('lists each referenced blob once with its media type', () => {
    expect([...referencedBlobs(sampleNotebook())]).toEqual([[PNG_HASH, 'image/png']])
  })

  it('rejects a file that is not a notebook with INVALID_NOTEBOOK and a path', async () => {
    const file = new File(['{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}'], 'bad.ipynb')
    await expect(importNotebookFile(file)).rejects.toMatchObject({ code: 'INVALID_NOTEBOOK', message: expect.stringContaining('/cells/0') })
    expect(() => importNotebookText('not json', 'x.ipynb')).toThrow(/not JSON/)
  })

  it('encodes blobs as nbformat stores them and names export files safely', () => {
    expect(encodeForIpynb('text/html', new TextEncoder().encode('<p>é</p>'))).toBe('<p>é</p>')
    expect(encodeForIpynb('image/png', new Uint8Array([1, 2, 3]))).toBe('AQID')
    expect(exportFileName('my/notes.ipynb')).toBe('my_notes.ipynb')
    expect(exportFileName(undefined)).toBe('notebook.ipynb')
  })
})
