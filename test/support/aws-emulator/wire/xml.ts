/** A value the XML writer understands: element text, nested elements, or a list of elements. */
export type XmlValue =
  | string | number | boolean | Date | undefined
  | readonly XmlValue[]
  | { readonly [element: string]: XmlValue }

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

/**
 * Writes fields as child elements, in order, skipping undefined ones. Lists are wrapped in their
 * field's element with one child per entry: `<member>` in awsQuery, `<item>` in EC2's protocol.
 * Timestamps are ISO 8601, which both query protocols use.
 */
export function toXml(fields: { readonly [element: string]: XmlValue }, listItem: 'member' | 'item'): string {
  return Object.entries(fields).map(([name, value]) => element(name, value, listItem)).join('')
}

function element(name: string, value: XmlValue, listItem: 'member' | 'item'): string {
  if (value === undefined) return ''
  if (isList(value)) {
    return value.length === 0 ? `<${name}/>` : `<${name}>${value.map((v) => element(listItem, v, listItem)).join('')}</${name}>`
  }
  return `<${name}>${content(value, listItem)}</${name}>`
}

function content(value: Exclude<XmlValue, undefined | readonly XmlValue[]>, listItem: 'member' | 'item'): string {
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'object') return toXml(value as { readonly [element: string]: XmlValue }, listItem)
  return escapeXml(String(value))
}

// Array.isArray does not narrow readonly arrays.
function isList(value: XmlValue): value is readonly XmlValue[] {
  return Array.isArray(value)
}
