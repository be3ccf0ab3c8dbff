/** The PDF preview (pdf.js). */
export { default as PdfView } from './PdfView.svelte'
export { PdfDocumentView, type PdfDocumentViewOptions, type PdfViewState } from './pdf-document-view.js'
