import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

/**
 * The house has no import circle: following src/'s relative imports (type-only ones too: a knot
 * is a knot) from any module never leads back to it. Generated code is left out.
 */
const SRC = resolve('src')

function modules (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : modules(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

t.test('src/ has no import circle', async (t) => {
  const graph = new Map<string, string[]>()
  for (const file of modules(SRC)) {
    const text = readFileSync(file, 'utf8')
    const targets = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g)]
      .map((match) => resolve(dirname(file), match[1]!))
      .filter((target) => target.startsWith(SRC) && !target.includes(`${SRC}/generated`))
    graph.set(file, targets)
  }
  t.ok(graph.size > 50, `${graph.size} modules read`)
  const circles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return
    if (state.get(file) === 'open') {
      circles.push([...path.slice(path.indexOf(file)), file].map((each) => relative(SRC, each)).join(' -> '))
      return
    }
    state.set(file, 'open')
    for (const target of graph.get(file) ?? []) visit(target, [...path, file])
    state.set(file, 'done')
  }
  for (const file of graph.keys()) visit(file, [])
  t.same(circles, [], 'no module reaches itself through its imports')
})
