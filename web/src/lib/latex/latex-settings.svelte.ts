/**
 * This person's LaTeX preferences, kept with the app's other settings in this browser (not in the project:
 * one collaborator's habit is not another's).
 */
import type { JsonStore } from '../peer/json-store.js'

const KEY = 'latex-settings'

export interface LatexSettingsData {
  /** Ask for a build when typing pauses (on by default). */
  readonly buildOnPause: boolean
}

export const DEFAULT_LATEX_SETTINGS: LatexSettingsData = { buildOnPause: true }

/** Cleans settings read from storage: anything unreadable falls back to the default. */
export function cleanLatexSettings(value: unknown): LatexSettingsData {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
  return { buildOnPause: typeof v['buildOnPause'] === 'boolean' ? v['buildOnPause'] : DEFAULT_LATEX_SETTINGS.buildOnPause }
}

export class LatexSettings {
  #data = $state<LatexSettingsData>(DEFAULT_LATEX_SETTINGS)
  readonly #store: Pick<JsonStore, 'get' | 'put'>

  constructor(store: Pick<JsonStore, 'get' | 'put'>) {
    this.#store = store
  }

  get buildOnPause(): boolean { return this.#data.buildOnPause }

  async load(): Promise<void> {
    this.#data = cleanLatexSettings(await this.#store.get(KEY))
  }

  async setBuildOnPause(on: boolean): Promise<void> {
    this.#data = { ...this.#data, buildOnPause: on }
    await this.#store.put(KEY, this.#data)
  }
}
