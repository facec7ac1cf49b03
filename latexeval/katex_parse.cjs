// KaTeX's own parse tree for the Python evaluator (latexeval/katex.py).
// Protocol: one JSON line in ({"exprs": [...], "macros": {...}}) -> one JSON line out
// ({"results": [{"tree": [...]} | {"error": {"message", "pos"}}]}), for as many batches as the
// caller sends: the process lives as long as the Python side, so Node starts once per run.
// Only what the meaning of a formula needs is kept: source positions become "pos" [start, end]
// and the lexer behind them (large and cyclic) is dropped, as are rendering-only flags.
"use strict";
const path = require("path");
const readline = require("readline");
const katex = require(path.resolve(process.argv[2]));

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
    const settings = { displayMode: true, throwOnError: true, strict: "ignore", macros: Object.assign({}, macros) };
    return { tree: plain(katex.__parse(expr, settings), expr) };
  } catch (e) {
    const pos = e && typeof e.position === "number" ? e.position : null;
    return { error: { message: String((e && (e.rawMessage || e.message)) || e), pos } };
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  const { exprs, macros } = JSON.parse(line);
  process.stdout.write(JSON.stringify({ version: katex.version, results: exprs.map((e) => parse(e, macros)) }) + "\n");
});
