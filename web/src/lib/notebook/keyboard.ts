/**
 * Jupyter's keyboard basics. In a cell editor: Shift-Enter runs and advances, Ctrl/Cmd-Enter runs, Escape
 * goes to command mode (bound in CellEditor). In command mode (this module): Enter edits, arrows or j/k
 * move the selection, a/b insert, dd deletes, m/y/r set the type, Alt-arrows move the cell, ii interrupts,
 * 00 restarts. Doubled keys need the second press within a second, as in Jupyter.
 */

/** What a command-mode key does. */
export type CommandAction =
  | 'edit'
  | 'run'
  | 'run-and-advance'
  | 'select-previous'
  | 'select-next'
  | 'insert-above'
  | 'insert-below'
  | 'delete'
  | 'to-code'
  | 'to-markdown'
  | 'to-raw'
  | 'move-up'
  | 'move-down'
  | 'interrupt'
  | 'restart'

/** The parts of a KeyboardEvent that matter here. */
export interface KeyInput {
  readonly key: string
  readonly shiftKey?: boolean
  readonly ctrlKey?: boolean
  readonly metaKey?: boolean
  readonly altKey?: boolean
}

/** A first press of a doubled key, waiting for its second. */
export interface PendingKey {
  readonly key: string
  readonly at: number
}

const DOUBLE_PRESS_MS = 1000

const DOUBLED: Readonly<Record<string, CommandAction>> = { d: 'delete', i: 'interrupt', '0': 'restart' }

/**
 * The action for a key in command mode, and the pending doubled key to remember. `action` undefined means
 * the key is not ours (let the browser have it).
 */
export function commandKey(input: KeyInput, pending: PendingKey | undefined, now: number): { action?: CommandAction; pending?: PendingKey } {
  const mod = input.ctrlKey === true || input.metaKey === true
  if (input.key === 'Enter') {
    if (input.shiftKey) return { action: 'run-and-advance' }
    if (mod) return { action: 'run' }
    return { action: 'edit' }
  }
  if (input.altKey && !mod) {
    if (input.key === 'ArrowUp') return { action: 'move-up' }
    if (input.key === 'ArrowDown') return { action: 'move-down' }
    return {}
  }
  if (mod || input.altKey) return {}
  if (input.key === 'ArrowUp' || input.key === 'k') return { action: 'select-previous' }
  if (input.key === 'ArrowDown' || input.key === 'j') return { action: 'select-next' }
  const key = input.key.length === 1 ? input.key.toLowerCase() : input.key
  const doubled = DOUBLED[key]
  if (doubled !== undefined && !input.shiftKey) {
    if (pending?.key === key && now - pending.at <= DOUBLE_PRESS_MS) return { action: doubled }
    return { pending: { key, at: now } }
  }
  if (input.shiftKey) return {}
  switch (key) {
    case 'a':
      return { action: 'insert-above' }
    case 'b':
      return { action: 'insert-below' }
    case 'y':
      return { action: 'to-code' }
    case 'm':
      return { action: 'to-markdown' }
    case 'r':
      return { action: 'to-raw' }
    default:
      return {}
  }
}
