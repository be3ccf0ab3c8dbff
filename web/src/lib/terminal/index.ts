/** Shared terminals on the project's compute peer (compute-peer/SPEC.md T rules). */
export { default as TerminalView } from './TerminalView.svelte'
export { default as TerminalList } from './TerminalList.svelte'
export { ProjectTerminals, type TerminalsState } from './project-terminals.svelte.js'
