/**
 * Two changes to how dynalite does its work, not to what it answers, made on its modules before
 * dynalite() creates its store (./dynamodb-worker.mjs). During a fleet deploy they were half of
 * dynalite's thread: a third of it parsing the same few expressions again and again, a sixth
 * waiting on LevelDB reads handed to the thread pool.
 *
 * Plain JavaScript, like the worker that loads it.
 */
import { setImmediate } from 'node:timers';

/**
 * The only checks of dynalite's expression parsers that read what a value is, not just its type:
 * BETWEEN compares its bounds, attribute_type reads its type name. Such expressions are parsed
 * every time.
 */
const READS_VALUES = /between|attribute_type/i;
const TYPES = ['S', 'N', 'B', 'NULL', 'BOOL', 'SS', 'NS', 'BS', 'L', 'M'];
const MOST_TEMPLATES = 1000;

/** Where a template holds the value named `name` (an expression attribute value). */
class ValueSlot {
  constructor(name) {
    this.name = name;
  }
}

/**
 * A parser's `parse(input, { context })` that parses an expression once for each set of attribute
 * names and value types it comes with. The parse tree refers to the request's values themselves
 * and every other check depends on their types only, so the next request's tree is the first one's
 * with its own values in their places. The names and values a parse used are crossed off the
 * request's unused ones, as parsing would. Errors and syntax errors are never cached.
 */
export function cachingParse(parse) {
  const templates = new Map();
  return function parseOnce(input, options) {
    const context = options?.context;
    if (!context || typeof input !== 'string' || READS_VALUES.test(input)) return parse(input, options);
    const key = `${input}\u0000${JSON.stringify(context.attrNames ?? null)}\u0000${valueTypes(context.attrVals)}`;
    const template = templates.get(key);
    if (template) {
      for (const name of template.names) if (context.unusedAttrNames) delete context.unusedAttrNames[name];
      for (const name of template.values) if (context.unusedAttrVals) delete context.unusedAttrVals[name];
      return copyTree(template.tree, (slot) => context.attrVals[slot.name]);
    }
    const names = new Set();
    const values = new Set();
    const tree = parse(input, {
      ...options,
      context: { ...context, unusedAttrNames: crossingOff(context.unusedAttrNames, names), unusedAttrVals: crossingOff(context.unusedAttrVals, values) },
    });
    if (tree !== null && typeof tree === 'object') {
      if (templates.size >= MOST_TEMPLATES) templates.clear();
      const slots = new Map(Object.entries(context.attrVals ?? {}).map(([name, value]) => [value, new ValueSlot(name)]));
      templates.set(key, { tree: copyTree(tree, undefined, slots), names: [...names], values: [...values] });
    }
    return tree;
  };
}

/** `name:type` of each attribute value, in order. */
function valueTypes(values) {
  if (!values) return '';
  let out = '';
  for (const [name, value] of Object.entries(values)) out += `${name}:${TYPES.find((type) => value?.[type] != null) ?? '?'},`;
  return out;
}

/** The request's set of unused names (or a new one), noting each name the parser crosses off. */
function crossingOff(unused, crossed) {
  return new Proxy(unused ?? {}, {
    deleteProperty(target, name) {
      crossed.add(name);
      return delete target[name];
    },
  });
}

/**
 * A deep copy of a parse tree, shared nodes shared in the copy too. `slots` turns the given
 * objects into value slots (making a template); `fill` turns value slots back into values.
 */
function copyTree(tree, fill, slots) {
  const copies = new Map();
  const copy = (node) => {
    if (node === null || typeof node !== 'object') return node;
    if (node instanceof ValueSlot) return fill(node);
    const slot = slots?.get(node);
    if (slot) return slot;
    let out = copies.get(node);
    if (out) return out;
    out = Array.isArray(node) ? [] : Object.create(Object.getPrototypeOf(node));
    copies.set(node, out);
    for (const key of Object.keys(node)) out[key] = copy(node[key]);
    return out;
  };
  return copy(tree);
}

/**
 * dynalite's LevelDB reads (a table's description, an item before its update) answered by
 * classic-level's synchronous get: a few microseconds on this thread instead of a trip through
 * the thread pool and back, which under load waited milliseconds for its turn. The answer still
 * comes on a later turn of the event loop, as before. Before the store is open, and on any error
 * (a value that does not decode), the read goes the way it always did.
 */
export function readSynchronously(level) {
  const get = level.get;
  level.get = function getNow(key, callback) {
    if (typeof callback !== 'function' || level.status !== 'open') return get.call(this, key, callback);
    let value;
    try {
      value = level.getSync(key);
    } catch {
      return get.call(this, key, callback);
    }
    setImmediate(callback, null, value);
  };
}

/** Applies both to dynalite's modules, loaded with `require` (the worker's): before dynalite() is called. */
export function tuneDynalite(require) {
  for (const name of ['conditionParser', 'updateParser', 'projectionParser']) {
    const parser = require(`dynalite/db/${name}`);
    parser.parse = cachingParse(parser.parse);
  }
  const db = require('dynalite/db');
  const create = db.create;
  db.create = (options) => {
    const store = create(options);
    readSynchronously(store.db);
    return store;
  };
}
