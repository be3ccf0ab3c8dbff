/** LaTeX documents: the editor beside the PDF, builds through the document, SyncTeX both ways. */
export { default as LatexView } from './LatexView.svelte'
export { LatexSettings, cleanLatexSettings, DEFAULT_LATEX_SETTINGS, type LatexSettingsData } from './latex-settings.svelte.js'
export { LatexBuildState } from './latex-build-state.svelte.js'
export { buildBanner, formatDuration, outcomeBanner, type BuildBanner } from './build-status.js'
export { applyPendingJump, jumpToLine, requestJump, takeJump } from './editor-jumps.js'
export { isLatexMain, mainFor, rememberMain } from './latex-main.js'
