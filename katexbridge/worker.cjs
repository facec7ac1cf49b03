// KaTeX for the Python side (katexbridge/bridge.py): typesetting for the build and parse trees for the
// evaluator, from one process that lives as long as its caller.
// Protocol: the first line out is {"ready": true, "version"}; then one JSON line in -> one JSON line out:
//   {"op": "render", "job": {tex, display, macros, output, marks}} -> {html, warnings, rows} | {error, warnings}
//   {"op": "parse", "expr", "macros"}                               -> {tree} | {error}
// One formula per line, so the caller can time each one and stop only the formula that runs too long.
"use strict";
const path = require("path");
const readline = require("readline");
const katex = require(path.resolve(process.argv[2]));

// Limits KaTeX enforces itself (the caller adds a time limit): macro expansions per formula, the
// largest size (in em) an author may ask for, and the largest output accepted.
const MAX_EXPAND = 1000;
const MAX_SIZE = 100;
const MAX_OUTPUT = 2 * 1024 * 1024;

function failure(e, extra) {
  if (e instanceof RangeError) {  // the stack ran out: a formula nested deeper than Node recurses (how deep that
    // is depends on what the JIT has compiled yet), the limit the caller's JSON decoder has too
    return Object.assign({ error: { message: "the formula nests too deeply to be read (its braces or fractions go " +
      "deeper than Node's stack)", pos: null, limit: "depth" } }, extra || {});
  }
  const pos = e && typeof e.position === "number" ? e.position : null;
  return Object.assign({ error: { message: String((e && (e.rawMessage || e.message)) || e), pos } }, extra || {});
}

// ---------------------------------------------------------------- rendering

function findClass(node, cls) {
  if (!node || !node.children) return null;
  if ((node.classes || []).includes(cls)) return node;
  for (const child of node.children) {
    const found = findClass(child, cls);
    if (found) return found;
  }
  return null;
}

function rowSpans(column) {
  // col-align-* > vlist-t > vlist-r > vlist > one span per row
  let node = column;
  for (const cls of ["vlist-t", "vlist-r", "vlist"]) {
    node = (node.children || []).find((c) => (c.classes || []).includes(cls));
    if (!node) return [];
  }
  return node.children;
}

function apply(span, mark) {
  for (const cls of mark.classes || []) span.classes.push(cls);
  for (const [key, value] of Object.entries(mark.attrs || {})) span.setAttribute(key, String(value));
}

// A job may ask to mark rows of its outermost array (align*) on KaTeX's own render tree, so that rows
// can become fragments or carry a verification mark without scraping HTML later.
function markRows(tree, marks) {
  const table = findClass(tree, "mtable");
  if (!table) {
    // A one-row derivation without an environment: the whole formula is row 1.
    const whole = findClass(tree, "katex-html");
    if (!whole) return 0;
    for (const mark of [marks.all && marks.all["1"], marks.last && marks.last["1"]]) if (mark) apply(whole, mark);
    return 1;
  }
  const columns = table.children.filter((c) => (c.classes || []).some((k) => k.startsWith("col-align-")));
  if (!columns.length) return 0;
  const rows = columns.map(rowSpans);
  const count = rows[rows.length - 1].length;
  for (const [index, mark] of Object.entries(marks.all || {})) {
    for (const col of rows) if (col[index - 1]) apply(col[index - 1], mark);
  }
  for (const [index, mark] of Object.entries(marks.last || {})) {
    const last = rows[rows.length - 1];
    if (last[index - 1]) apply(last[index - 1], mark);
  }
  return count;
}

function render(job) {
  const warnings = [];
  const options = {
    displayMode: job.display,
    output: job.output || "htmlAndMathml",
    throwOnError: true,
    maxExpand: MAX_EXPAND,
    maxSize: MAX_SIZE,
    macros: Object.assign({}, job.macros || {}),
    strict: (code, message, token) => {
      const loc = token && token.loc;
      warnings.push({ code, message, pos: loc && loc.lexer && loc.lexer.input === job.tex ? loc.start : null });
      return "ignore";
    },
  };
  try {
    const tree = katex.__renderToDomTree(job.tex, options);
    const rows = job.marks ? markRows(tree, job.marks) : null;
    const html = tree.toMarkup();
    if (html.length > MAX_OUTPUT) {
      return failure(`the typeset formula is over the size limit (${html.length} characters of HTML, at most ${MAX_OUTPUT})`, { warnings });
    }
    return { html, warnings, rows };
  } catch (e) {
    return failure(e, { warnings });
  }
}

// ---------------------------------------------------------------- parse trees

// Only what the meaning of a formula needs is kept: source positions become "pos" [start, end] and the
// lexer behind them (large and cyclic) is dropped, as are rendering-only flags.
const DROPPED = new Set(["loc", "isCharacterBox", "parentIsSupSub", "alwaysHandleSupSub",
  "suppressBaseShift", "token", "mode"]);

// A position is kept only when it points into the formula itself, not into a macro's expansion.
function plain(node, input) {
  if (Array.isArray(node)) return node.map((n) => plain(n, input));
  if (!node || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (!DROPPED.has(key)) out[key] = plain(value, input);
  }
  const loc = node.loc;
  if (loc && loc.lexer && loc.lexer.input === input) out.pos = [loc.start, loc.end];
  return out;
}

function parse(expr, macros) {
  try {
    const settings = { displayMode: true, throwOnError: true, strict: "ignore", maxExpand: MAX_EXPAND,
      maxSize: MAX_SIZE, macros: Object.assign({}, macros) };
    return { tree: plain(katex.__parse(expr, settings), expr) };
  } catch (e) {
    return failure(e);
  }
}

function answer(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (e) {  // one unreadable request is answered as a failure: the answers stay in order, the worker lives
    return failure(`unreadable request: ${e.message}`);
  }
  if (request.op === "render") return render(request.job);
  if (request.op === "parse") return parse(request.expr, request.macros || {});
  return failure(`unknown request ${JSON.stringify(request.op)}`);
}

process.stdout.write(JSON.stringify({ ready: true, version: katex.version }) + "\n");
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => process.stdout.write(JSON.stringify(answer(line)) + "\n"));
