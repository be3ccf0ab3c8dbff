import { describe, expect, it } from 'vitest'
import { latexmkArgs, parseTexLog, texEnv, toWorkspacePath } from '../../src/latex/index.js'

// A pdflatex log as `-file-line-error` and an unwrapped `max_print_line` write it (shortened).
const LOG = [
  'This is pdfTeX, Version 3.141592653-2.6-1.40.25 (TeX Live 2023/Debian) (preloaded format=pdflatex 2024.1.1)  7 DEC 2026 23:10',
  'entering extended mode',
  ' restricted \\write18 enabled.',
  '**paper.tex',
  '(./paper.tex',
  'LaTeX2e <2023-11-01> patch level 1',
  '(/usr/share/texlive/texmf-dist/tex/latex/base/article.cls',
  'Document Class: article 2023/05/17 v1.4n Standard LaTeX document class',
  '(/usr/share/texlive/texmf-dist/tex/latex/base/size10.clo',
  'File: size10.clo 2023/05/17 v1.4n Standard LaTeX file (size option)',
  ')',
  '\\c@part=\\count187',
  ')',
  '(./paper.aux)',
  '(./sections/intro.tex',
  './sections/intro.tex:12: Undefined control sequence.',
  'l.12 This is \\foo',
  '                  bar.',
  'The control sequence at the end of the top line',
  'of your error message was never \\def\'ed.',
  '',
  'LaTeX Warning: Reference `sec:missing\' on page 1 undefined on input line 14.',
  '',
  'Overfull \\hbox (15.6pt too wide) in paragraph at lines 20--22',
  '[]\\OT1/cmr/m/n/10 averyveryverylongword',
  ')',
  'Package natbib Warning: Citation `knuth84\' on page 1 undefined on input line 30.',
  '',
  'Package hyperref Warning: Token not allowed in a PDF string (Unicode):',
  '(hyperref)                removing `math shift\' on input line 31.',
  '',
  '! Emergency stop.',
  '<*> paper.tex',
  '',
  './paper.tex:40: LaTeX Error: File `missing.sty\' not found.',
  '',
  'Type X to quit or <RETURN> to proceed,',
  'l.40 \\usepackage',
  '                {missing}^^M',
  '(/tmp/build/paper.bbl)',
  'LaTeX Warning: There were undefined references.',
  ')',
].join('\n')

describe('the TeX log parser', () => {
  it('[TX5] errors have the file TeX names, the line and the source around the error', () => {
    const { errors, errorCount } = parseTexLog(LOG)
    expect(errors[0]).toEqual({ file: './sections/intro.tex', line: 12, message: 'Undefined control sequence. (at: This is \\foo)' })
    expect(errors).toContainEqual({ file: './paper.tex', line: 40, message: 'LaTeX Error: File `missing.sty\' not found. (at: \\usepackage)' })
    // "! Emergency stop." has no l.N line: the file open then, no line.
    expect(errors).toContainEqual({ file: './paper.tex', message: 'Emergency stop.' })
    expect(errorCount).toBe(3)
  })

  it('[TX6] warnings: references, citations, package warnings with continuation lines, boxes; each with the file open then', () => {
    const { warnings } = parseTexLog(LOG)
    expect(warnings).toEqual([
      { file: './sections/intro.tex', line: 14, message: 'Reference `sec:missing\' on page 1 undefined on input line 14.' },
      { file: './sections/intro.tex', line: 20, message: 'Overfull \\hbox (15.6pt too wide) in paragraph at lines 20--22' },
      { file: './paper.tex', line: 30, message: 'Citation `knuth84\' on page 1 undefined on input line 30.' },
      { file: './paper.tex', line: 31, message: 'Token not allowed in a PDF string (Unicode): removing `math shift\' on input line 31.' },
      { file: './paper.tex', message: 'There were undefined references.' },
    ])
  })

  it('[TX5][TX6] file names become workspace paths; files outside the workspace have none', () => {
    expect(toWorkspacePath('./sections/intro.tex', '', '/w/p')).toBe('sections/intro.tex')
    expect(toWorkspacePath('./intro.tex', 'paper', '/w/p')).toBe('paper/intro.tex')
    expect(toWorkspacePath('../shared/macros.tex', 'paper', '/w/p')).toBe('shared/macros.tex')
    expect(toWorkspacePath('/w/p/paper/x.tex', 'paper', '/w/p')).toBe('paper/x.tex')
    expect(toWorkspacePath('/usr/share/texlive/texmf-dist/tex/latex/base/article.cls', '', '/w/p')).toBeUndefined()
    expect(toWorkspacePath('/w/pother/x.tex', '', '/w/p')).toBeUndefined()
    expect(toWorkspacePath('../../etc/passwd', 'paper', '/w/p')).toBeUndefined()
  })

  it('[TX12] never throws, keeps at most 1,000 entries, counts all, and reports a repeated error once', () => {
    for (const junk of ['', '(((((', ')))))', '! ', 'l.12', ':12: x', '\u0000\uffff'.repeat(1000)]) expect(() => parseTexLog(junk)).not.toThrow()
    const many = Array.from({ length: 3000 }, (_, i) => `./a.tex:${i + 1}: Undefined control sequence.`).join('\n')
    const parsed = parseTexLog(many)
    expect(parsed.errors).toHaveLength(1000)
    expect(parsed.errorCount).toBe(3000)
    const repeated = parseTexLog('./a.tex:3: Missing $ inserted.\n./a.tex:3: Missing $ inserted.\n')
    expect(parsed.warningCount).toBe(0)
    expect(repeated.errors).toHaveLength(1)
  })

  it('[TX4] latexmk gets no rc file, no shell escape, nonstop mode, file:line errors and SyncTeX; TeX gets paranoid file rules', () => {
    const args = latexmkArgs('pdf', '/run/kernel', 'paper/main.tex')
    expect(args).toEqual(['latexmk', '-norc', '-pdf', '-synctex=1', '-interaction=nonstopmode', '-file-line-error', '-no-shell-escape', '-cd', '-outdir=/run/kernel', 'paper/main.tex'])
    expect(latexmkArgs('lualatex', '/o', 'a.tex')).toContain('-lualatex')
    expect(latexmkArgs('xelatex', '/o', 'a.tex')).toContain('-xelatex')
    expect(texEnv('/run/kernel')).toMatchObject({ shell_escape: 'f', openin_any: 'p', openout_any: 'p', TEXMFOUTPUT: '/run/kernel' })
  })
})

describe('SyncTeX input paths', () => {
  it('[TX13] Input lines under the workspace become workspace paths; others are kept', async () => {
    const { gzipSync, gunzipSync } = await import('node:zlib')
    const { relativizeSynctex } = await import('../../src/latex/synctex-paths.js')
    const original = [
      'SyncTeX Version:1',
      'Input:1:/data/projects/P/paper/./main.tex',
      'Input:2:/usr/share/texlive/texmf-dist/tex/latex/base/article.cls',
      'Input:3:/data/projects/P/paper/sections/intro.tex',
      'Input:4:./local.tex',
      'Output:pdf',
    ].join('\n')
    const out = gunzipSync(await relativizeSynctex(gzipSync(original), '/data/projects/P', 'paper')).toString('utf8')
    expect(out.split('\n')).toEqual([
      'SyncTeX Version:1',
      'Input:1:paper/main.tex',
      'Input:2:/usr/share/texlive/texmf-dist/tex/latex/base/article.cls',
      'Input:3:paper/sections/intro.tex',
      'Input:4:paper/local.tex',
      'Output:pdf',
    ])
    const junk = new Uint8Array([1, 2, 3])
    expect(await relativizeSynctex(junk, '/data', '')).toBe(junk)
  })
})
