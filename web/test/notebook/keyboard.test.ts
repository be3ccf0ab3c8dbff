import { describe, expect, it } from 'vitest'
import { commandKey } from '../../src/lib/notebook/keyboard.js'

describe('command-mode keys', () => {
  it('runs with Shift-Enter and Ctrl/Cmd-Enter, and edits with Enter', () => {
    expect(commandKey({ key: 'Enter', shiftKey: true }, undefined, 0).action).toBe('run-and-advance')
    expect(commandKey({ key: 'Enter', ctrlKey: true }, undefined, 0).action).toBe('run')
    expect(commandKey({ key: 'Enter', metaKey: true }, undefined, 0).action).toBe('run')
    expect(commandKey({ key: 'Enter' }, undefined, 0).action).toBe('edit')
  })

  it('maps single keys to cell actions and leaves modified keys to the browser', () => {
    expect(commandKey({ key: 'a' }, undefined, 0).action).toBe('insert-above')
    expect(commandKey({ key: 'b' }, undefined, 0).action).toBe('insert-below')
    expect(commandKey({ key: 'm' }, undefined, 0).action).toBe('to-markdown')
    expect(commandKey({ key: 'y' }, undefined, 0).action).toBe('to-code')
    expect(commandKey({ key: 'ArrowDown' }, undefined, 0).action).toBe('select-next')
    expect(commandKey({ key: 'k' }, undefined, 0).action).toBe('select-previous')
    expect(commandKey({ key: 'ArrowUp', altKey: true }, undefined, 0).action).toBe('move-up')
    expect(commandKey({ key: 'c', ctrlKey: true }, undefined, 0)).toEqual({})
    expect(commandKey({ key: 'q' }, undefined, 0)).toEqual({})
  })

  it('needs dd, ii and 00 pressed twice within a second', () => {
    const first = commandKey({ key: 'd' }, undefined, 1000)
    expect(first.action).toBeUndefined()
    expect(commandKey({ key: 'd' }, first.pending, 1500).action).toBe('delete')
    expect(commandKey({ key: 'd' }, first.pending, 2500).action).toBeUndefined()
    const i = commandKey({ key: 'i' }, undefined, 0)
    expect(commandKey({ key: 'i' }, i.pending, 10).action).toBe('interrupt')
    const zero = commandKey({ key: '0' }, undefined, 0)
    expect(commandKey({ key: '0' }, zero.pending, 10).action).toBe('restart')
    expect(commandKey({ key: 'i' }, zero.pending, 10).action).toBeUndefined()
  })
})
