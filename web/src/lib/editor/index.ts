/** The text editor: CodeMirror 6 bound to Automerge text, with highlighting and remote cursors. */
export { default as TextEditor } from './TextEditor.svelte'
export {
  automergeText,
  bindAutomergeText,
  minimalChange,
  remoteTextChange,
  textAtPath,
  TextBindingError,
  type AutomergeTextOptions,
  type TextBinding,
  type TextPath,
} from './automerge-text-binding.js'
export { languageExtension, languageOf, type LanguageId } from './languages.js'
export { remoteCursors, remoteCursorDecorations, setRemoteCursors, type RemoteCursor } from './remote-cursors.js'
