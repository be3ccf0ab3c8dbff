import { describe, expect, it } from 'vitest'
import { applyCarriageReturns, cssColor, parseAnsi, segmentStyle, stripAnsi, tailForDisplay } from '../../src/lib/notebook/ansi.js'

const ESC = '\x1b'

describe('parseAnsi', () => {
  it('returns plain text as one unstyled segment', () => {
    expect(parseAnsi('hello\nworld')).toEqual([{ text: 'hello\nworld' }])
  })

  it('applies the 8 basic and bright foreground colours, and resets with 0 and with an empty SGR', () => {
    const segments = parseAnsi(`${ESC}[31mred${ESC}[0m plain ${ESC}[92mbright${ESC}[m end`)
    expect(segments).toEqual([
      { text: 'red', fg: { index: 1 } },
      { text: ' plain ' },
      { text: 'bright', fg: { index: 10 } },
      { text: ' end' },
    ])
  })

  it('combines bold, underline and background, and turns each off separately', () => {
    const segments = parseAnsi(`${ESC}[1;4;44mA${ESC}[22mB${ESC}[24;49mC`)
    expect(segments).toEqual([
      { text: 'A', bg: { index: 4 }, bold: true, underline: true },
      { text: 'B', bg: { index: 4 }, underline: true },
      { text: 'C' },
    ])
  })

  it('reads 256-colour and 24-bit colours, ignoring out-of-range values', () => {
    expect(parseAnsi(`${ESC}[38;5;208mX`)).toEqual([{ text: 'X', fg: { index: 208 } }])
    expect(parseAnsi(`${ESC}[48;2;10;20;30mY`)).toEqual([{ text: 'Y', bg: { rgb: [10, 20, 30] } }])
    expect(parseAnsi(`${ESC}[38;5;999mZ`)).toEqual([{ text: 'Z' }])
  })

  it('drops cursor movement, erase and OSC title sequences without showing them', () => {
    expect(stripAnsi(`a${ESC}[2Kb${ESC}[1A${ESC}]0;title\x07c${ESC}[?25ld`)).toBe('abcd')
  })

  it('keeps an IPython traceback readable: colours on, escape codes gone', () => {
    const line = `${ESC}[0;31mZeroDivisionError${ESC}[0m: division by zero`
    const segments = parseAnsi(line)
    expect(segments[0]).toEqual({ text: 'ZeroDivisionError', fg: { index: 1 } })
    expect(stripAnsi(line)).toBe('ZeroDivisionError: division by zero')
  })

  it('swaps colours for inverse video', () => {
    expect(parseAnsi(`${ESC}[7;31mI`)).toEqual([{ text: 'I', fg: { index: 0 }, bg: { index: 1 } }])
  })

  it('merges neighbouring runs of one style', () => {
    expect(parseAnsi(`${ESC}[32ma${ESC}[32mb`)).toEqual([{ text: 'ab', fg: { index: 2 } }])
  })

  it('never produces markup: angle brackets stay text', () => {
    expect(stripAnsi('<script>alert(1)</script>')).toBe('<script>alert(1)</script>')
  })
})

describe('carriage returns', () => {
  it('lets a progress bar overwrite its line', () => {
    expect(applyCarriageReturns(' 10%\r 50%\r100%\ndone\n')).toBe('100%\ndone\n')
  })

  it('overwrites only as much as the new text covers, like a terminal', () => {
    expect(applyCarriageReturns('abcdef\rXY')).toBe('XYcdef')
  })

  it('treats \\r\\n as a line end', () => {
    expect(applyCarriageReturns('a\r\nb\r\n')).toBe('a\nb\n')
  })
})

describe('styles', () => {
  it('maps palette, cube, grey and RGB colours to CSS', () => {
    expect(cssColor({ index: 1 })).toBe('#e75c58')
    expect(cssColor({ index: 16 })).toBe('rgb(0,0,0)')
    expect(cssColor({ index: 231 })).toBe('rgb(255,255,255)')
    expect(cssColor({ index: 232 })).toBe('rgb(8,8,8)')
    expect(cssColor({ rgb: [1, 2, 3] })).toBe('rgb(1,2,3)')
  })

  it('writes an inline style only for what is set', () => {
    expect(segmentStyle({ text: 'x' })).toBe('')
    expect(segmentStyle({ text: 'x', fg: { index: 2 }, bold: true })).toBe('color:#00a250;font-weight:bold')
  })
})

describe('long outputs', () => {
  it('shows the end of a very long stream, from a line start, and says how much is hidden', () => {
    const text = 'x'.repeat(50) + '\n' + 'tail line\n'
    expect(tailForDisplay(text, 15)).toEqual({ text: 'tail line\n', hidden: 51 })
    expect(tailForDisplay('short', 15)).toEqual({ text: 'short', hidden: 0 })
  })
})
