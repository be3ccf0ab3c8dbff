/** Time travel over text documents. */
export { default as HistoryPanel } from './HistoryPanel.svelte'
export { default as LineDiff } from './LineDiff.svelte'
export { TextHistory, HistoryError, type TextVersion, type VersionText } from './text-history.svelte.js'
