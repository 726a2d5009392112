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

/**
 * A server loads a cloud's SDK when a backend of that cloud is first used (each cloud's driver is
 * a DeferredDriver, src/providers/kit/deferred-driver.ts), not at start: following the static
 * imports that load code (not `import type`) from src/server.ts never reaches one. The SDKs were
 * most of a start: 7.1 s of CPU and 490 MB with them, 3.1 s and 190 MB without.
 */
const CLOUD_SDKS = /^(@google-cloud\/|@aws-sdk\/|@azure\/|@smithy\/|google-gax$|dockerode$|digitalocean-js$|ssh2$)/

t.test('starting a server loads no cloud SDK', async (t) => {
  const reached = new Map<string, string>()
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(/(?:^|\n)\s*(import|export)\s+(?!type\b)([^'"]*?)\s*from\s+'([^']+)'|(?:^|\n)\s*import\s+'([^']+)'/g)) {
      const names = match[2] ?? ''
      // import { type A, type B } from '…' loads nothing either.
      if (/^\{[^}]*\}$/.test(names) && names.slice(1, -1).split(',').every((name) => name.trim() === '' || name.trim().startsWith('type '))) continue
      const specifier = (match[3] ?? match[4])!
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier)
        if (target.endsWith('.ts') && !target.includes(`${SRC}/generated`)) visit(target)
      } else if (!reached.has(specifier)) {
        reached.set(specifier, relative(SRC, file))
      }
    }
  }
  visit(join(SRC, 'server.ts'))
  t.ok(seen.size > 50, `${seen.size} modules loaded at start`)
  t.ok(reached.has('fastify'), 'packages are seen (fastify)')
  const sdks = [...reached].filter(([name]) => CLOUD_SDKS.test(name)).map(([name, by]) => `${name} (by ${by})`)
  t.same(sdks, [], 'no cloud SDK is imported at start')
})
