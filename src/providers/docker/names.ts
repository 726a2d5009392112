/**
 * Docker's naming rules and the create body's command. A container name is
 * `[a-zA-Z0-9][a-zA-Z0-9_.-]+` (the engine's own rule); the label holding our uuid is how an
 * interrupted create is found.
 */
export const CLIENT_TOKEN_LABEL = 'io.stratus.client-token'
/** The name the machine was created with, where Docker's rules changed it. */
export const NAME_LABEL = 'io.stratus.name'

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/

/** The container name for a machine name: itself where Docker takes it, else made valid (other characters as `-`) and unique by a piece of the uuid. */
export function containerNameOf (name: string, clientToken: string): string {
  if (NAME.test(name) && name.length <= 128) return name
  const folded = name.replace(/[^a-zA-Z0-9_.-]+/g, '-').replace(/^[^a-zA-Z0-9]+/, '').slice(0, 100)
  return `${folded === '' ? 'container' : folded}-${clientToken.replace(/-/g, '').slice(0, 8)}`
}

/**
 * The document's `docker_command` ("/bin/bash", "sleep 100") as the engine's Cmd array, split the
 * way a shell splits words: on spaces, with '…' and "…" quoting and \ escaping. It is not run by a
 * shell (an image need not have one): `sh -c '…'` says so where a shell is wanted.
 */
export function commandWords (command: string): string[] {
  const words: string[] = []
  let word = ''
  let started = false
  let quote: '"' | '\'' | null = null
  for (let i = 0; i < command.length; i++) {
    const char = command[i]!
    if (quote === '\'') { if (char === '\'') quote = null; else word += char; continue }
    if (char === '\\' && i + 1 < command.length && (quote === null || '"\\$`'.includes(command[i + 1]!))) { word += command[++i]; started = true; continue }
    if (quote === '"') { if (char === '"') quote = null; else word += char; continue }
    if (char === '"' || char === '\'') { quote = char; started = true; continue }
    if (/\s/.test(char)) { if (started) { words.push(word); word = ''; started = false } continue }
    word += char
    started = true
  }
  if (quote !== null) throw new Error(`docker_command has an unclosed ${quote}`)
  if (started) words.push(word)
  return words
}
