/*!
 * Live reload for `python build.py serve`. The server adds this script to every
 * HTML response (never to _site/), with the id of the build the page came from.
 *
 * - The server's event stream (/__events) sends the build state on connect and
 *   after every build: {build, ok, seconds, diagnostics, changed}. A page from an older
 *   build reloads; a failed build shows an overlay over the last good page.
 * - Before reloading, the exact Reveal position (slide and fragment) is put
 *   into the URL hash, which Reveal reads as it starts, so the page comes up on
 *   that step directly (Reveal's own hash can lag a fragment step behind). It
 *   is kept in sessionStorage too and restored once Reveal is ready, for decks
 *   with `fragmentInURL: false`.
 * - The speaker view's two preview frames (`?receiver`) take the state from
 *   their deck window over a BroadcastChannel instead of a stream of their own:
 *   a browser allows only six open connections to one server.
 */
(function () {
  'use strict';

  var me = document.currentScript;
  var build = me ? me.getAttribute('data-build') || '' : '';
  var KEY = 'deckbuild-position:' + location.pathname + location.search;
  var OVERLAY = 'deckbuild-overlay';
  var reloading = false;

  function reveal() {
    return typeof Reveal !== 'undefined' && Reveal.getIndices ? Reveal : null;
  }

  function savePosition() {
    var deck = reveal();
    if (!deck || !deck.isReady()) return;
    if (deck.getSlidePath) history.replaceState(history.state, '', '#' + deck.getSlidePath());
    try { sessionStorage.setItem(KEY, JSON.stringify(deck.getIndices())); } catch (e) { /* storage off */ }
  }

  function restorePosition() {
    var saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(KEY) || 'null');
      sessionStorage.removeItem(KEY);
    } catch (e) { return; }
    var deck = reveal();
    if (!saved || !deck) return;
    var go = function () { deck.slide(saved.h, saved.v, saved.f); };
    if (deck.isReady()) go(); else deck.on('ready', go);
  }

  function reload() {
    if (reloading) return;
    reloading = true;
    savePosition();
    location.reload();
  }

  function apply(state) {
    if (state.changed && state.changed.length) {
      console.info('deckbuild: rebuilt in ' + state.seconds + ' s after a change to ' + state.changed.join(', '));
    }
    if (state.build && state.build !== build) return reload();
    showProblems(state.ok ? [] : state.diagnostics || []);
  }

  /* ------------------------------------------------------------ overlay */

  function el(tag, css, text) {
    var node = document.createElement(tag);
    node.style.cssText = css;
    if (text != null) node.textContent = text;
    return node;
  }

  function where(d) {
    return d.path ? d.path + ':' + d.line + ':' + d.col + ': ' : '';
  }

  function problem(d) {
    var item = el('li', 'margin:0 0 12px;white-space:pre-wrap;');
    item.appendChild(el('div', 'color:#ffb4b4;', where(d) + d.severity + ': ' + d.message));
    if (d.excerpt) item.appendChild(el('div', 'color:#ccc;', '    | ' + d.excerpt.split('\n').join('\n    | ')));
    if (d.hint) item.appendChild(el('div', 'color:#b4d8ff;', 'hint: ' + d.hint));
    return item;
  }

  function showProblems(diagnostics) {
    var old = document.getElementById(OVERLAY);
    if (old) old.remove();
    if (!diagnostics.length) return;
    var box = el('div', 'position:fixed;left:0;right:0;top:0;max-height:80vh;overflow:auto;z-index:2147483647;' +
      'background:rgba(24,24,28,0.94);color:#eee;font:14px/1.45 ui-monospace,Menlo,Consolas,monospace;' +
      'padding:16px 20px;box-shadow:0 4px 24px rgba(0,0,0,0.5);text-align:left;');
    box.id = OVERLAY;
    box.setAttribute('role', 'alert');
    var close = el('button', 'float:right;font:inherit;background:#444;color:#eee;border:0;padding:2px 10px;' +
      'cursor:pointer;', '×');
    close.title = 'hide until the next build';
    close.onclick = function () { box.remove(); };
    box.appendChild(close);
    var errors = diagnostics.filter(function (d) { return d.severity === 'error'; }).length;
    box.appendChild(el('div', 'font-weight:bold;color:#ff6b6b;margin-bottom:10px;',
      'Build failed (' + errors + ' error' + (errors === 1 ? '' : 's') + '): this page is the last good build'));
    var list = el('ul', 'list-style:none;margin:0;padding:0;');
    diagnostics.forEach(function (d) { list.appendChild(problem(d)); });
    box.appendChild(list);
    document.body.appendChild(box);
  }

  /* ------------------------------------------------------------ connection */

  function connect() {
    var channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('deckbuild-livereload') : null;
    if (/receiver/i.test(location.search) && channel) {
      channel.onmessage = function (event) { apply(event.data); };
      return;
    }
    var source = new EventSource('/__events');
    source.onmessage = function (event) {
      var state = JSON.parse(event.data);
      if (channel) channel.postMessage(state);
      apply(state);
    };
  }

  restorePosition();
  connect();
})();
