/**
 * SyncTeX names source files as TeX opened them: an absolute path in the compute peer's workspace
 * (`/…/workspace/paper/./main.tex`, where `/./` marks the directory TeX ran in), or relative to where TeX ran
 * (`./sections/intro.tex`, `sections/intro`). The compute peer rewrites the ones inside the workspace to
 * workspace paths (`paper/sections/intro.tex`), which are project paths.
 * The app knows files by their project path. This maps one to the other by the longest matching tail of
 * path segments, preferring files in the main file's folder, where TeX runs.
 */

/** Collapses `.` and `..` segments and repeated slashes; keeps a leading slash off (paths are compared by tail). */
export function normalizeTexPath(path: string): string {
  const out: string[] = []
  for (const part of path.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') out.pop()
    else out.push(part)
  }
  return out.join('/')
}

function withTex(path: string): string[] {
  return /\.[A-Za-z0-9]{1,8}$/.test(path) ? [path] : [path, `${path}.tex`]
}

/**
 * The project path for a SyncTeX input name, or undefined when no project file matches (TeX's own files:
 * `article.cls`, `.aux`, packages). `mainPath` is the project path of the built file: a relative input
 * is resolved against its folder first.
 */
export function projectPathOf(input: string, projectPaths: readonly string[], mainPath: string): string | undefined {
  const known = new Set(projectPaths)
  const folder = mainPath.includes('/') ? mainPath.slice(0, mainPath.lastIndexOf('/')) : ''
  // pdfTeX writes a relative name as `<where TeX ran>/./<name>`: the part after `/./` is relative to the main
  // file's folder, whatever the compute peer's directory is called.
  const cut = input.indexOf('/./')
  const relative = cut >= 0 ? input.slice(cut + 3) : input.startsWith('/') ? undefined : input
  // The compute peer rewrites inputs inside the workspace to workspace paths, which are project paths.
  const raw = cut >= 0 || input.startsWith('./') || input.startsWith('../')
  if (!raw && relative !== undefined) {
    for (const candidate of withTex(normalizeTexPath(relative))) if (known.has(candidate)) return candidate
  }
  if (relative !== undefined) {
    for (const candidate of withTex(normalizeTexPath(folder === '' ? relative : `${folder}/${relative}`))) {
      if (known.has(candidate)) return candidate
    }
  }
  // An absolute path (or a relative one TeX found elsewhere): the project file whose path is the longest tail.
  const segments = normalizeTexPath(input).split('/')
  let best: string | undefined
  let bestLength = 0
  for (const path of projectPaths) {
    for (const candidate of withTex(segments.join('/'))) {
      if (candidate === path || candidate.endsWith(`/${path}`)) {
        const length = path.split('/').length + (path.startsWith(folder === '' ? '' : `${folder}/`) ? 0.5 : 0)
        if (length > bestLength) {
          best = path
          bestLength = length
        }
      }
    }
  }
  return best
}

/** Tags per project path, for the inputs of one SyncTeX file (a file TeX read twice has two tags). */
export function tagsByProjectPath(inputs: ReadonlyMap<number, string>, projectPaths: readonly string[], mainPath: string): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const [tag, input] of inputs) {
    const path = projectPathOf(input, projectPaths, mainPath)
    if (path === undefined) continue
    const tags = out.get(path)
    if (tags) tags.push(tag)
    else out.set(path, [tag])
  }
  return out
}
