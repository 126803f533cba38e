'use strict';

/*
 * A memo of dynalite's expression parsers, for the local hub's DynamoDB emulator thread
 * (dynamo-thread.ts). dynalite parses every request's UpdateExpression, ConditionExpression,
 * KeyConditionExpression, FilterExpression and ProjectionExpression with a generated PEG parser
 * that backtracks heavily: 0.6–0.8 ms of CPU for an update expression of the hub's kind with its
 * condition, the largest share of the emulator's work per call. The hub sends the same few dozen expressions over and over
 * with other values, so each distinct parse is made once and replayed.
 *
 * What a parse depends on, and so what keys the memo: the expression, the attribute names (they are
 * resolved into the tree), whether it is a key condition, and each attribute value's type (the
 * parsers check operand types). The values themselves are put into the tree by reference: the memo
 * keeps the tree with a placeholder where each value stood and puts the new request's values there.
 * Parses that read a value's content are never memoized: BETWEEN (compares its bounds) and
 * attribute_type (checks the type name it is given). A parse that reports an error (a string) or
 * throws is never kept either, so every refusal is dynalite's own, made afresh. A tree in which a
 * value appears copied rather than by reference is not kept (its key is marked, and parsed every
 * time), since a replay would carry the first request's value.
 *
 * Plain CommonJS: the emulator thread runs plain Node, with no TypeScript loader.
 */

const TYPE_KEYS = ['S', 'N', 'B', 'NULL', 'BOOL', 'SS', 'NS', 'BS', 'L', 'M'];

/** Parses that read values' content, not only their types. */
const CONTENT_DEPENDENT = /between|attribute_type/i;

/** More distinct parses than this and the memo starts afresh (the hub makes a few dozen). */
const DEFAULT_LIMIT = 2000;

const VALUE = Symbol('attribute value');
const UNCACHEABLE = Symbol('uncacheable');

const typeOf = (value) => {
  if (!value || typeof value !== 'object') return '?';
  for (const key of TYPE_KEYS) if (value[key] != null) return key;
  return '?';
};

const looksLikeValue = (node) => TYPE_KEYS.some((key) => Object.hasOwn(node, key));

const keyOf = (input, context) => {
  if (typeof input !== 'string' || CONTENT_DEPENDENT.test(input)) return undefined;
  const names = context.attrNames ? JSON.stringify(context.attrNames) : '';
  let values = '';
  for (const name of Object.keys(context.attrVals ?? {}))
    values += `${name}=${typeOf(context.attrVals[name])};`;
  return `${context.isKeyCondition ? 'K' : 'E'}\u0000${input}\u0000${names}\u0000${values}`;
};

/**
 * A copy of `node`, each object and array copied once (shared parts stay shared), prototypes kept
 * (dynalite's trees use null-prototype maps), with `replace` deciding for each object first.
 */
const copyTree = (node, replace, seen = new Map()) => {
  if (node === null || typeof node !== 'object') return node;
  const replaced = replace(node);
  if (replaced !== undefined) return replaced;
  const known = seen.get(node);
  if (known !== undefined) return known;
  if (Array.isArray(node)) {
    const copy = new Array(node.length);
    seen.set(node, copy);
    for (let index = 0; index < node.length; index++) copy[index] = copyTree(node[index], replace, seen);
    return copy;
  }
  const copy = Object.create(Object.getPrototypeOf(node));
  seen.set(node, copy);
  for (const key of Object.keys(node)) copy[key] = copyTree(node[key], replace, seen);
  return copy;
};

/** The tree with a placeholder for each value it holds by reference; undefined when it copied one. */
const templateOf = (tree, attrVals) => {
  const names = new Map(Object.keys(attrVals ?? {}).map((name) => [attrVals[name], name]));
  let copied = false;
  const template = copyTree(tree, (node) => {
    const name = names.get(node);
    if (name !== undefined) return { [VALUE]: name };
    if (!Array.isArray(node) && looksLikeValue(node)) copied = true;
    return undefined;
  });
  return copied ? undefined : template;
};

const replay = (entry, context) => {
  for (const name of entry.usedNames) delete context.unusedAttrNames?.[name];
  for (const name of entry.usedValues) delete context.unusedAttrVals?.[name];
  const values = context.attrVals ?? {};
  return copyTree(entry.template, (node) => (Object.hasOwn(node, VALUE) ? values[node[VALUE]] : undefined));
};

const keysOf = (object) => new Set(Object.keys(object ?? {}));
const everyKeyOf = (object) => Object.fromEntries(Object.keys(object ?? {}).map((name) => [name, true]));
const removed = (before, after) => [...before].filter((name) => !after.has(name));

/** Replaces `parser.parse` with a memoized one; returns the memo's counters. */
const memoizeParser = (parser, { limit = DEFAULT_LIMIT } = {}) => {
  const parse = parser.parse;
  const memo = new Map();
  const stats = { hits: 0, misses: 0, bypassed: 0 };
  parser.parse = (input, options) => {
    const context = options?.context;
    const key = context ? keyOf(input, context) : undefined;
    const entry = key === undefined ? UNCACHEABLE : memo.get(key);
    if (entry === UNCACHEABLE) {
      stats.bypassed++;
      return parse(input, options);
    }
    if (entry !== undefined) {
      stats.hits++;
      return replay(entry, context);
    }
    stats.misses++;
    // Every name and value offered as unused, whatever the request's earlier expressions used: the
    // entry must know all that this expression uses, for a request where it comes first.
    const probe = {
      ...context,
      unusedAttrNames: everyKeyOf(context.attrNames),
      unusedAttrVals: everyKeyOf(context.attrVals),
    };
    let usedNames = [];
    let usedValues = [];
    let tree;
    try {
      tree = parse(input, { ...options, context: probe });
    } finally {
      // A parse that throws has marked what it read by then, as dynalite's own would have.
      usedNames = removed(keysOf(context.attrNames), keysOf(probe.unusedAttrNames));
      usedValues = removed(keysOf(context.attrVals), keysOf(probe.unusedAttrVals));
      for (const name of usedNames) delete context.unusedAttrNames?.[name];
      for (const name of usedValues) delete context.unusedAttrVals?.[name];
    }
    if (tree === null || typeof tree !== 'object') return tree;
    // Full (a long-lived hub with expressions built per request): start afresh rather than stop.
    if (memo.size >= limit) memo.clear();
    const template = templateOf(tree, context.attrVals);
    memo.set(key, template === undefined ? UNCACHEABLE : { template, usedNames, usedValues });
    return tree;
  };
  return stats;
};

/**
 * Memoizes dynalite's three expression parsers (they are shared by every request through Node's
 * module cache). `dynaliteDir` is the folder of dynalite's package.json.
 */
const memoizeDynaliteParsers = (dynaliteDir, options) => {
  const stats = {};
  for (const name of ['updateParser', 'conditionParser', 'projectionParser']) {
    stats[name] = memoizeParser(require(`${dynaliteDir}/db/${name}.js`), options);
  }
  return stats;
};

module.exports = { memoizeParser, memoizeDynaliteParsers };
