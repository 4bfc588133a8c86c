import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import { formatPath, type ManifestIssue } from './issues.js'

/**
 * Manifest text → a plain JS value, or issues with their paths; it never throws and its work is
 * linear in the text. The text is capped before it is parsed (SSM holds at most 8 KB in a
 * standard parameter and 64 KB in an advanced one; a local file gets the same cap, so what
 * validates on a laptop fits in SSM). The value is built here from the YAML tree, not by yaml's
 * own `toJS()`, so that in one pass in document order:
 * - duplicate keys are found with one Set per mapping (`1:` and `"1":` are the same key in JS);
 * - a `__proto__` key, which JS objects cannot hold as data, is refused rather than dropped;
 * - keys must be scalars (a mapping as a key would be stringified);
 * - aliases are resolved once each, and the size of the expanded document (every value an alias
 *   copies counts again) is bounded, so an alias bomb or a cycle ends as an issue, not a hang.
 */
export const MAX_MANIFEST_BYTES = 65_536
/** Values (scalars, lists, mappings) in the document once every alias is expanded. */
export const MAX_VALUES = 50_000
/** A manifest is at most 7 levels deep; anything near this is not a manifest. */
export const MAX_DEPTH = 32

export type ReadResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issues: readonly ManifestIssue[] }

export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // A surrogate pair is 4 bytes in UTF-8: 2 for each half.
    bytes += code < 0x80 ? 1 : code < 0x800 || (code >= 0xd800 && code <= 0xdfff) ? 2 : 3
  }
  return bytes
}

export function readYaml(text: string): ReadResult {
  const size = utf8Length(text)
  if (size > MAX_MANIFEST_BYTES) {
    return fail('(manifest)', `is ${size.toLocaleString('en-US')} bytes; a manifest may be at most ${MAX_MANIFEST_BYTES.toLocaleString('en-US')} bytes (SSM's advanced-parameter limit), so split the service or shorten it`)
  }
  const lines = new LineCounter()
  let document: ReturnType<typeof parseDocument>
  try {
    document = parseDocument(text, { prettyErrors: false, uniqueKeys: false, lineCounter: lines })
  } catch (error) {
    return fail('(manifest)', `could not be read as YAML (${error instanceof Error ? error.message : String(error)}); the manifest must be YAML or JSON`)
  }
  if (document.errors.length > 0) {
    return {
      ok: false,
      issues: document.errors.map((e) => ({
        path: `line ${lines.linePos(e.pos[0]).line}, column ${lines.linePos(e.pos[0]).col}`,
        message: `${e.message.split('\n')[0]}; the manifest must be YAML or JSON`,
      })),
    }
  }
  const builder = new Builder()
  try {
    const value = builder.build(document.contents, [], 0)
    return builder.issues.length > 0 ? { ok: false, issues: builder.issues } : { ok: true, value }
  } catch (error) {
    if (error instanceof Stop) return { ok: false, issues: [...builder.issues, error.issue] }
    return fail('(manifest)', `could not be read (${error instanceof Error ? error.message : String(error)}); the manifest must be YAML or JSON`)
  }
}

function fail(path: string, message: string): ReadResult {
  return { ok: false, issues: [{ path, message }] }
}

/** Ends the walk: what follows an alias bomb or a cycle is not worth reading. */
class Stop extends Error {
  constructor(readonly issue: ManifestIssue) {
    super(issue.message)
  }
}

class Builder {
  readonly issues: ManifestIssue[] = []
  readonly #anchors = new Map<string, Node>()
  readonly #built = new Map<Node, { value: unknown; size: number }>()
  readonly #open = new Set<Node>()
  #size = 0

  build(node: unknown, path: PropertyKey[], depth: number): unknown {
    if (node === null || node === undefined) return this.#count(null, 1, path)
    if (depth > MAX_DEPTH) throw new Stop({ path: formatPath(path), message: `nests deeper than ${MAX_DEPTH} levels; a manifest is a few levels deep` })
    if (isAlias(node)) {
      const target = this.#anchors.get(node.source)
      if (target === undefined) throw new Stop({ path: formatPath(path), message: `uses the alias *${node.source}, but no &${node.source} comes before it; define the anchor first` })
      if (this.#open.has(target)) throw new Stop({ path: formatPath(path), message: `uses the alias *${node.source} inside &${node.source} itself, a cycle; copy the values instead` })
      const built = this.#built.get(target)
      if (built === undefined) throw new Stop({ path: formatPath(path), message: `uses the alias *${node.source}, which could not be resolved` })
      return this.#count(built.value, built.size, path)
    }
    const anchored = node as Node
    if (anchored.anchor) this.#anchors.set(anchored.anchor, anchored)
    this.#open.add(anchored)
    const before = this.#size
    const value = this.#value(anchored, path, depth)
    this.#open.delete(anchored)
    this.#built.set(anchored, { value, size: this.#size - before })
    return value
  }

  #value(node: Node, path: PropertyKey[], depth: number): unknown {
    if (isScalar(node)) return this.#count(node.value, 1, path)
    if (isSeq(node)) {
      this.#count(undefined, 1, path)
      return node.items.map((item, i) => this.build(item, [...path, i], depth + 1))
    }
    if (isMap(node)) {
      this.#count(undefined, 1, path)
      const out: Record<string, unknown> = {}
      const seen = new Map<string, string>()
      for (const pair of node.items) {
        const key = pair.key
        if (!isScalar(key) && key !== null) {
          this.issues.push({ path: formatPath(path), message: 'has a key that is a list, a mapping or an alias; keys are plain names' })
          continue
        }
        const name = key === null || key.value === null ? '' : String(key.value)
        const at = [...path, name]
        const first = seen.get(name)
        if (first !== undefined) {
          this.issues.push({ path: formatPath(at), message: `is given twice in this mapping (as ${first} and as ${spelling(key)}, the same key once read); keep one` })
          continue
        }
        seen.set(name, spelling(key))
        if (name === '__proto__') {
          this.issues.push({ path: formatPath(at), message: 'is not allowed as a name: JavaScript reads __proto__ as an object\'s prototype; pick another name' })
          continue
        }
        this.#count(undefined, 1, at)
        out[name] = this.build(pair.value, at, depth + 1)
      }
      return out
    }
    throw new Stop({ path: formatPath(path), message: 'holds a YAML node deckhand does not read; the manifest must be YAML or JSON' })
  }

  #count<T>(value: T, size: number, path: PropertyKey[]): T {
    this.#size += size
    if (this.#size > MAX_VALUES) {
      throw new Stop({ path: formatPath(path), message: `makes the manifest more than ${MAX_VALUES.toLocaleString('en-US')} values once its aliases are expanded; write it out without nested aliases` })
    }
    return value
  }
}

function spelling(key: unknown): string {
  if (isScalar(key)) return typeof key.value === 'string' ? `"${key.value}"` : `the ${typeof key.value === 'number' ? 'number' : 'value'} ${String(key.value)}`
  return 'an empty key'
}
