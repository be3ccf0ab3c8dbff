/** The current route, following `location.hash`. */
import { createSubscriber } from 'svelte/reactivity'
import { parseRoute, routeToHash, type Route } from './route.js'

export class Router {
  readonly #subscribe: () => void
  readonly #window: Window

  constructor(win: Window = window) {
    this.#window = win
    this.#subscribe = createSubscriber((update) => {
      win.addEventListener('hashchange', update)
      return () => win.removeEventListener('hashchange', update)
    })
  }

  get route(): Route {
    this.#subscribe()
    return parseRoute(this.#window.location.hash)
  }

  go(route: Route, options: { replace?: boolean } = {}): void {
    const hash = routeToHash(route)
    if (options.replace) {
      this.#window.history.replaceState(null, '', hash)
      this.#window.dispatchEvent(new HashChangeEvent('hashchange'))
    } else this.#window.location.hash = hash
  }
}
