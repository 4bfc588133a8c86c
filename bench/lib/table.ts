/** Plain-text tables that read the same in a terminal and pasted into Markdown. */

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  const rule = `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`
  return [line(headers), rule, ...rows.map(line)].join('\n')
}

export function heading(text: string): string {
  return `\n=== ${text} ${'='.repeat(Math.max(0, 90 - text.length))}`
}
