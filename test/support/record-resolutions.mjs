// Loaded with `node --import` to list every module a command resolves, in the file named by
// DECKHAND_RECORD_MODULES: the footprint test reads it to prove which packages a command loads.
import { register } from 'node:module'

register('./record-resolutions-hooks.mjs', import.meta.url, { data: { file: process.env.DECKHAND_RECORD_MODULES } })
