import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from '@cdktf/hcl2json'

/** One HCL file as @cdktf/hcl2json reads it: blocks become arrays of objects, expressions `${...}` strings. */
export interface HclFile {
  path: string
  text: string
  doc: Record<string, unknown>
}

/** Every file of `dir` ending in `suffix` (not recursive), parsed; a syntax error throws with its position. */
export async function readHclDir(dir: string, suffix: string): Promise<HclFile[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(suffix)).sort()
  return Promise.all(
    names.map(async (name) => {
      const path = join(dir, name)
      const text = await readFile(path, 'utf8')
      return { path, text, doc: (await parse(name, text)) as Record<string, unknown> }
    }),
  )
}

export type Block = Record<string, unknown>

/**
 * Labelled blocks of one type across files: `labelled(files, 'variable')` gives each variable's
 * name and body; `labelled(files, 'resource', 'aws_iam_policy_document')` goes one label deeper.
 */
export function labelled(files: readonly HclFile[], type: string, ...labels: string[]): { name: string; body: Block; file: string }[] {
  const found: { name: string; body: Block; file: string }[] = []
  for (const file of files) {
    let level = file.doc[type] as Record<string, unknown> | undefined
    for (const label of labels) level = level?.[label] as Record<string, unknown> | undefined
    for (const [name, bodies] of Object.entries(level ?? {})) {
      for (const body of bodies as Block[]) found.push({ name, body, file: file.path })
    }
  }
  return found
}

/** The nested blocks `name` of a body (always an array, empty when absent). */
export function nested(body: Block | undefined, name: string): Block[] {
  const value = body?.[name]
  return Array.isArray(value) ? (value as Block[]) : []
}

/**
 * Lines whose whole value is one interpolation (`x = "${var.y}"`), which tflint's
 * terraform_deprecated_interpolation flags: write `x = var.y`. Read from the text, since the
 * parser gives both spellings the same JSON.
 */
export function interpolationOnly(file: HclFile): string[] {
  return file.text
    .split('\n')
    .map((line, index) => ({ line, index }))
    .filter(({ line }) => /=\s*"\$\{[^"{}]*\}"\s*$/.test(line))
    .map(({ line, index }) => `${file.path}:${index + 1}: ${line.trim()}`)
}
