// Typesets formulas for the Python build: one process per build, many batches.
// Protocol: one JSON line in ({"jobs": [...]}) -> one JSON line out ({"results": [...]}).
// A job may ask to mark rows of its outermost array (align*) on KaTeX's own
// render tree, so that rows can become fragments or carry a verification mark
// without scraping HTML later.
"use strict";
const path = require("path");
const readline = require("readline");
const katex = require(path.resolve(process.argv[2]));

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
    return { html: tree.toMarkup(), warnings, rows };
  } catch (e) {
    if (e instanceof katex.ParseError) {
      return { error: { message: e.rawMessage || e.message, pos: typeof e.position === "number" ? e.position : null }, warnings };
    }
    return { error: { message: String(e && e.message || e), pos: null }, warnings };
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  const { jobs } = JSON.parse(line);
  process.stdout.write(JSON.stringify({ version: katex.version, results: jobs.map(render) }) + "\n");
});
