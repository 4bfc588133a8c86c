import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { type Block, type HclFile, labelled, nested } from './hcl.js'

/**
 * Evaluates the expressions of a parsed module (as @cdktf/hcl2json gives them: `${...}` strings)
 * for the small part of HCL the module's policy documents use: references to var, local, data
 * and iterators, string templates, lists, conditionals, comparisons and a few functions. Each
 * expression is translated to JavaScript, whose syntax coincides with HCL's on that part;
 * anything else fails loudly rather than rendering a wrong policy.
 */
export interface EvalScope {
  readonly vars: Readonly<Record<string, unknown>>
  readonly data: Readonly<Record<string, unknown>>
  readonly moduleDir: string
}

const functions = {
  length: (value: unknown[] | string | Record<string, unknown>) => (typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).length : value.length),
  min: Math.min,
  max: Math.max,
  concat: (...lists: unknown[][]) => lists.flat(),
  merge: (...maps: Record<string, unknown>[]) => Object.assign({}, ...maps),
}

export class ModuleEvaluator {
  readonly #locals: Record<string, unknown>
  readonly #localsProxy: Record<string, unknown>

  constructor(private readonly files: readonly HclFile[], private readonly scope: EvalScope) {
    this.#locals = Object.assign({}, ...files.flatMap((f) => (f.doc.locals as Block[] | undefined) ?? []))
    const cache = new Map<string, unknown>()
    this.#localsProxy = new Proxy({}, {
      get: (_, name: string) => {
        if (!(name in this.#locals)) throw new Error(`local.${name} is not defined in the module`)
        if (!cache.has(name)) cache.set(name, this.evaluate(this.#locals[name]))
        return cache.get(name)
      },
    })
  }

  /** The value of an hcl2json value: literals as they are, `${...}` evaluated, lists and objects element by element. */
  evaluate(value: unknown, iterators: Readonly<Record<string, unknown>> = {}): unknown {
    if (typeof value === 'string') return this.#template(value, iterators)
    if (Array.isArray(value)) return value.map((item) => this.evaluate(item, iterators))
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.evaluate(v, iterators)]))
    return value
  }

  /** An aws_iam_policy_document data source rendered as the IAM JSON the provider would produce. */
  policyDocument(name: string): { Version: '2012-10-17'; Statement: IamStatement[] } {
    const found = labelled(this.files, 'data', 'aws_iam_policy_document').find((d) => d.name === name)
    if (!found) throw new Error(`data.aws_iam_policy_document.${name} is not in the module`)
    const statements = nested(found.body, 'statement').map((s) => this.#statement(s, {}))
    const dynamics = nested(found.body.dynamic as Block | undefined, 'statement')
    for (const dynamic of dynamics) {
      const iterator = typeof dynamic.iterator === 'string' ? dynamic.iterator : 'statement'
      const items = this.evaluate(dynamic.for_each) as unknown[]
      const content = nested(dynamic, 'content')[0] ?? {}
      items.forEach((item, index) => statements.push(this.#statement(content, { [iterator]: { key: index, value: item } })))
    }
    return { Version: '2012-10-17', Statement: statements }
  }

  #statement(block: Block, iterators: Record<string, unknown>): IamStatement {
    const value = (key: string) => this.evaluate(block[key], iterators)
    const conditions: Record<string, Record<string, string[]>> = {}
    for (const condition of nested(block, 'condition')) {
      const test = this.evaluate(condition.test, iterators) as string
      const variable = this.evaluate(condition.variable, iterators) as string
      conditions[test] = { ...conditions[test], [variable]: this.evaluate(condition.values, iterators) as string[] }
    }
    return {
      ...(block.sid === undefined ? {} : { Sid: value('sid') as string }),
      Effect: (value('effect') as 'Allow' | 'Deny' | undefined) ?? 'Allow',
      Action: value('actions') as string[],
      Resource: value('resources') as string[],
      ...(Object.keys(conditions).length === 0 ? {} : { Condition: conditions }),
    }
  }

  #template(text: string, iterators: Readonly<Record<string, unknown>>): unknown {
    const parts = splitTemplate(text)
    if (parts.length === 1 && parts[0]?.kind === 'expr') return this.#expression(parts[0].text, iterators)
    return parts.map((part) => (part.kind === 'text' ? part.text : String(this.#expression(part.text, iterators)))).join('')
  }

  #expression(expression: string, iterators: Readonly<Record<string, unknown>>): unknown {
    const js = toJavaScript(expression)
    const file = (path: string) => readFileSync(resolve(this.scope.moduleDir, path), 'utf8')
    const names = ['vars', 'locals', 'data', 'file', ...Object.keys(functions), ...Object.keys(iterators)]
    const values = [this.scope.vars, this.#localsProxy, this.scope.data, file, ...Object.values(functions), ...Object.values(iterators)]
    try {
      return new Function(...names, `return (${js})`)(...values) as unknown
    } catch (error) {
      throw new Error(`cannot evaluate \${${expression}} (as ${js}): ${String(error)}`)
    }
  }
}

export interface IamStatement {
  Sid?: string
  Effect: 'Allow' | 'Deny'
  Action: string[]
  Resource: string[]
  Condition?: Record<string, Record<string, string[]>>
}

type TemplatePart = { kind: 'text' | 'expr'; text: string }

/** `a${x}b` into text and expression parts; braces and strings inside an expression are skipped over. */
function splitTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = []
  let i = 0
  let literal = ''
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${'
      i += 3
    } else if (text.startsWith('${', i)) {
      if (literal !== '') parts.push({ kind: 'text', text: literal })
      literal = ''
      const end = matchingBrace(text, i + 2)
      parts.push({ kind: 'expr', text: text.slice(i + 2, end) })
      i = end + 1
    } else {
      literal += text[i]
      i++
    }
  }
  if (literal !== '' || parts.length === 0) parts.push({ kind: 'text', text: literal })
  return parts
}

function matchingBrace(text: string, from: number): number {
  let depth = 1
  let inString = false
  for (let i = from; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      else if (c === '$' && text[i + 1] === '{') {
        i = matchingBrace(text, i + 2)
      }
      continue
    }
    if (c === '"') inString = true
    else if (c === '{') depth++
    else if (c === '}' && --depth === 0) return i
  }
  throw new Error(`unbalanced braces in ${text}`)
}

/** HCL strings become JavaScript template literals; `var.` becomes `vars.` (var is reserved in JavaScript). */
function toJavaScript(expression: string): string {
  let out = ''
  let i = 0
  while (i < expression.length) {
    const c = expression[i]
    if (c === '"') {
      let j = i + 1
      let body = ''
      while (j < expression.length && expression[j] !== '"') {
        if (expression[j] === '\\') {
          body += expression.slice(j, j + 2)
          j += 2
        } else if (expression.startsWith('${', j)) {
          const end = matchingBrace(expression, j + 2)
          body += `\${${toJavaScript(expression.slice(j + 2, end))}}`
          j = end + 1
        } else {
          body += expression[j] === '`' ? '\\`' : expression[j]
          j++
        }
      }
      out += `\`${body}\``
      i = j + 1
    } else {
      out += c
      i++
    }
  }
  return out.replace(/\bvar\./g, 'vars.').replace(/\blocal\./g, 'locals.')
}
