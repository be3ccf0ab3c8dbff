/**
 * A scrolling PDF of many pages drawn with pdf.js. Pages are laid out at their size at once (so the scroll
 * bar is right) and drawn only when they come near the viewport. A rebuild replaces the document in place:
 * the old pages stay on screen until the new ones are drawn over them, and the scroll offset is kept, so
 * the reader does not lose their place on every build.
 *
 * Coordinates handed in and out (highlights, clicks) are PDF points from the page's top-left corner, as
 * SyncTeX gives them.
 */
import { getDocument, GlobalWorkerOptions, type PDFDocumentProxy } from 'pdfjs-dist'
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url'
import type { SyncRect } from '../synctex/index.js'

GlobalWorkerOptions.workerSrc = workerUrl

/** What the view reports as it changes. */
export interface PdfViewState {
  readonly pages: number
  /** The page most in view (1-based; 0 with no document). */
  readonly page: number
  /** CSS pixels per PDF point. */
  readonly scale: number
  /** Pages drawn for the current document and scale. */
  readonly drawn: number
}

export interface PdfDocumentViewOptions {
  /** A double click, or a click with Ctrl or Cmd, at (x, y) on a page: the place to find in the source. */
  readonly onInverse?: (page: number, x: number, y: number) => void
  readonly onState?: (state: PdfViewState) => void
  /** A document that pdf.js cannot open. */
  readonly onError?: (error: unknown) => void
}

interface PageSlot {
  readonly number: number
  readonly element: HTMLDivElement
  /** Size in PDF points. */
  width: number
  height: number
  /** The generation and scale the canvas shows, or '' when none is drawn. */
  drawnKey: string
  visible: boolean
}

const MIN_SCALE = 0.25
const MAX_SCALE = 5
/** Pages this far (CSS pixels) outside the viewport are drawn ahead of scrolling to them. */
const DRAW_AHEAD = '600px'

export class PdfDocumentView {
  readonly #scroller: HTMLElement
  readonly #pagesElement: HTMLDivElement
  readonly #options: PdfDocumentViewOptions
  readonly #observer: IntersectionObserver
  #doc: PDFDocumentProxy | undefined
  #slots: PageSlot[] = []
  #scale = 1
  #fitted = false
  #generation = 0
  #drawing: Promise<void> = Promise.resolve()
  #highlights: HTMLElement[] = []
  #destroyed = false

  constructor(scroller: HTMLElement, options: PdfDocumentViewOptions = {}) {
    this.#scroller = scroller
    this.#options = options
    this.#pagesElement = document.createElement('div')
    this.#pagesElement.className = 'pdf-pages'
    scroller.append(this.#pagesElement)
    this.#observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const slot = this.#slots.find((s) => s.element === entry.target)
        if (slot) slot.visible = entry.isIntersecting
      }
      this.#drawVisible()
    }, { root: scroller, rootMargin: `${DRAW_AHEAD} 0px` })
    scroller.addEventListener('scroll', this.#onScroll, { passive: true })
    this.#pagesElement.addEventListener('dblclick', this.#onPointer)
    this.#pagesElement.addEventListener('click', this.#onPointer)
  }

  get scale(): number { return this.#scale }
  get pages(): number { return this.#slots.length }

  /** Shows a new PDF in place of the current one, keeping the scroll position. Resolves to its page count. */
  async show(bytes: Uint8Array): Promise<number> {
    const generation = ++this.#generation
    // pdf.js takes the buffer over (it is transferred to its worker): give it a copy.
    const doc = await getDocument({ data: bytes.slice(), isEvalSupported: false }).promise
    if (generation !== this.#generation || this.#destroyed) {
      void doc.destroy()
      return doc.numPages
    }
    const sizes: Array<{ width: number; height: number }> = []
    for (let n = 1; n <= doc.numPages; n++) {
      const viewport = (await doc.getPage(n)).getViewport({ scale: 1 })
      sizes.push({ width: viewport.width, height: viewport.height })
    }
    if (generation !== this.#generation || this.#destroyed) {
      void doc.destroy()
      return doc.numPages
    }
    const { scrollTop, scrollLeft } = this.#scroller
    const old = this.#doc
    this.#doc = doc
    if (!this.#fitted && sizes.length > 0) {
      this.#scale = this.#fitWidthScale(sizes)
      this.#fitted = true
    }
    this.#layout(sizes)
    this.#scroller.scrollTop = scrollTop
    this.#scroller.scrollLeft = scrollLeft
    // The old canvases stay until the new pages are drawn over them; the old document's work is done.
    if (old) void old.destroy()
    this.#drawVisible()
    this.#report()
    return doc.numPages
  }

  /** Zooms to `scale` CSS pixels per PDF point, keeping the middle of the view where it is. */
  setScale(scale: number): void {
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale))
    if (next === this.#scale) return
    const middle = this.#scroller.scrollTop + this.#scroller.clientHeight / 2
    const ratio = this.#pagesElement.scrollHeight > 0 ? middle / this.#pagesElement.scrollHeight : 0
    this.#scale = next
    this.#fitted = true
    this.#layout(this.#slots.map((s) => ({ width: s.width, height: s.height })))
    this.#scroller.scrollTop = ratio * this.#pagesElement.scrollHeight - this.#scroller.clientHeight / 2
    this.#drawVisible()
    this.#report()
  }

  /** Zooms so the widest page fits the view's width. */
  fitWidth(): void {
    if (this.#slots.length > 0) this.setScale(this.#fitWidthScale(this.#slots))
  }

  /** Outlines `rects` (forward search) and scrolls the first into view; returns whether there was one. */
  highlight(rects: readonly SyncRect[]): boolean {
    for (const el of this.#highlights) el.remove()
    this.#highlights = []
    const first = rects[0]
    const slot = first && this.#slots[first.page - 1]
    if (!first || !slot) return false
    const pad = 2
    for (const rect of rects.filter((r) => r.page === first.page)) {
      const el = document.createElement('div')
      el.className = 'synctex-highlight'
      el.setAttribute('data-testid', 'synctex-highlight')
      Object.assign(el.style, {
        left: `${rect.x * this.#scale - pad}px`, top: `${rect.y * this.#scale - pad}px`,
        width: `${rect.width * this.#scale + 2 * pad}px`, height: `${rect.height * this.#scale + 2 * pad}px`,
      })
      slot.element.append(el)
      this.#highlights.push(el)
    }
    const target = slot.element.offsetTop + first.y * this.#scale - this.#scroller.clientHeight / 3
    this.#scroller.scrollTo({ top: Math.max(0, target), behavior: 'auto' })
    return true
  }

  destroy(): void {
    this.#destroyed = true
    this.#generation++
    this.#observer.disconnect()
    this.#scroller.removeEventListener('scroll', this.#onScroll)
    void this.#doc?.destroy()
    this.#doc = undefined
    this.#pagesElement.remove()
  }

  #fitWidthScale(sizes: ReadonlyArray<{ width: number }>): number {
    const widest = Math.max(...sizes.map((s) => s.width))
    const available = this.#scroller.clientWidth - 24
    return available > 0 && widest > 0 ? Math.min(MAX_SCALE, Math.max(MIN_SCALE, available / widest)) : 1
  }

  /** Makes one page box per page at the current scale, reusing the boxes that exist (and their canvases). */
  #layout(sizes: ReadonlyArray<{ width: number; height: number }>): void {
    while (this.#slots.length > sizes.length) {
      const slot = this.#slots.pop()!
      this.#observer.unobserve(slot.element)
      slot.element.remove()
    }
    sizes.forEach((size, i) => {
      let slot = this.#slots[i]
      if (!slot) {
        const element = document.createElement('div')
        element.className = 'pdf-page'
        element.setAttribute('data-testid', 'pdf-page')
        element.dataset['page'] = String(i + 1)
        this.#pagesElement.append(element)
        slot = { number: i + 1, element, width: size.width, height: size.height, drawnKey: '', visible: false }
        this.#slots.push(slot)
        this.#observer.observe(element)
      }
      slot.width = size.width
      slot.height = size.height
      slot.element.style.width = `${Math.floor(size.width * this.#scale)}px`
      slot.element.style.height = `${Math.floor(size.height * this.#scale)}px`
    })
    // A highlight from before a zoom would sit in the wrong place.
    for (const el of this.#highlights) el.remove()
    this.#highlights = []
  }

  #key(): string {
    return `${this.#generation}@${this.#scale}`
  }

  #drawVisible(): void {
    const key = this.#key()
    const wanted = this.#slots.filter((s) => s.visible && s.drawnKey !== key)
    if (wanted.length === 0) return
    // One page at a time: drawing is CPU work that competes with typing.
    this.#drawing = this.#drawing.then(async () => {
      for (const slot of wanted) {
        if (this.#destroyed || this.#key() !== key) return
        if (slot.visible && slot.drawnKey !== key) await this.#draw(slot, key)
      }
    }).catch((err: unknown) => this.#options.onError?.(err))
  }

  async #draw(slot: PageSlot, key: string): Promise<void> {
    const doc = this.#doc
    if (!doc || slot.number > doc.numPages) return
    const page = await doc.getPage(slot.number)
    const viewport = page.getViewport({ scale: this.#scale })
    const ratio = globalThis.devicePixelRatio || 1
    const canvas = document.createElement('canvas')
    canvas.width = Math.floor(viewport.width * ratio)
    canvas.height = Math.floor(viewport.height * ratio)
    await page.render({ canvas, viewport, ...(ratio !== 1 && { transform: [ratio, 0, 0, ratio, 0, 0] }) }).promise
    if (this.#key() !== key || doc !== this.#doc) return
    slot.element.querySelector('canvas')?.remove()
    slot.element.prepend(canvas)
    slot.drawnKey = key
    this.#report()
  }

  #report(): void {
    const key = this.#key()
    this.#options.onState?.({
      pages: this.#slots.length, page: this.#currentPage(), scale: this.#scale, drawn: this.#slots.filter((s) => s.drawnKey === key).length,
    })
  }

  #currentPage(): number {
    const middle = this.#scroller.scrollTop + this.#scroller.clientHeight / 3
    let page = this.#slots.length > 0 ? 1 : 0
    for (const slot of this.#slots) if (slot.element.offsetTop <= middle) page = slot.number
    return page
  }

  readonly #onScroll = (): void => {
    this.#report()
  }

  readonly #onPointer = (event: MouseEvent): void => {
    if (event.type === 'click' && !event.ctrlKey && !event.metaKey) return
    const element = (event.target as HTMLElement | null)?.closest<HTMLElement>('.pdf-page')
    const slot = this.#slots.find((s) => s.element === element)
    if (!slot || !element) return
    event.preventDefault()
    const box = element.getBoundingClientRect()
    this.#options.onInverse?.(slot.number, (event.clientX - box.left) / this.#scale, (event.clientY - box.top) / this.#scale)
  }
}
