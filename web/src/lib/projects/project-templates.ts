/**
 * What a new project can start with. A template is a few text files written into the project right after it
 * is created, by the same upload path as any file, so they are ordinary documents from then on.
 */
import { uploadFiles, type FileContext } from '../files/file-ops.js'

export type ProjectTemplateId = 'empty' | 'paper'

/** A template as the new-project form offers it. */
export interface ProjectTemplate {
  readonly id: ProjectTemplateId
  readonly label: string
  /** The file to open once the project exists, if any. */
  readonly open?: string
  readonly files: ReadonlyArray<{ readonly path: string; readonly text: string }>
}

const PAPER_TEX = String.raw`\documentclass[11pt]{article}
\usepackage{amsmath}
\usepackage{graphicx}

\title{A Paper Written Together}
\author{First Author \and Second Author}
\date{\today}

\begin{document}
\maketitle

\begin{abstract}
One paragraph that says what the paper shows and why it matters.
\end{abstract}

\section{Introduction}
Collaborative writing goes back a long way~\cite{knuth1984}. This paper
builds on the typesetting system of Lamport~\cite{lamport1994}.

\section{Method}
An equation, numbered:
\begin{equation}
  e^{i\pi} + 1 = 0.
  \label{eq:euler}
\end{equation}
Equation~\eqref{eq:euler} is referred to by its label.

\section{Results}
Write the results here. Build with the Build button, or pause while typing.

\section{Conclusion}
Say what was learned.

\bibliographystyle{plain}
\bibliography{refs}

\end{document}
`

const REFS_BIB = `@book{knuth1984,
  author    = {Donald E. Knuth},
  title     = {The {\\TeX}book},
  publisher = {Addison-Wesley},
  year      = {1984},
}

@book{lamport1994,
  author    = {Leslie Lamport},
  title     = {{\\LaTeX}: A Document Preparation System},
  edition   = {2nd},
  publisher = {Addison-Wesley},
  year      = {1994},
}
`

export const PROJECT_TEMPLATES: readonly ProjectTemplate[] = [
  { id: 'empty', label: 'Empty project', files: [] },
  {
    id: 'paper', label: 'Paper (LaTeX article with a bibliography)', open: 'main.tex',
    files: [{ path: 'main.tex', text: PAPER_TEX }, { path: 'refs.bib', text: REFS_BIB }],
  },
]

export function projectTemplate(id: string): ProjectTemplate {
  return PROJECT_TEMPLATES.find((t) => t.id === id) ?? PROJECT_TEMPLATES[0]!
}

/** Writes the template's files into a new project; returns the id of the file to open, if any. */
export async function applyTemplate(ctx: FileContext, template: ProjectTemplate): Promise<string | undefined> {
  if (template.files.length === 0) return undefined
  const encoder = new TextEncoder()
  const results = await uploadFiles(ctx, '', template.files.map((f) => ({ path: f.path, bytes: encoder.encode(f.text), type: 'text/plain' })))
  return results.find((r) => r.path === template.open)?.id
}
