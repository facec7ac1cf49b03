/*!
 * PresentKit — presenter helpers for the lecture deck (a reveal.js 6 plugin).
 *
 *   Reveal.initialize({ …, plugins: [PresentKit] })
 *
 * - Fullscreen button (top right) using the Fullscreen API.
 * - Laser pointer: Alt+O or Ctrl/Cmd+O toggles a red dot that follows the
 *   mouse.  The dot is mirrored between the audience window and the speaker
 *   view's current-slide preview (BroadcastChannel, plus window.postMessage
 *   via the speaker window's opener as a fallback, e.g. for file://).
 * - V: the verification details of the derivations on the current slide
 *   (written by the build into each derivation's <template class=
 *   "derivation-panel">), in the speaker view when one is open; Shift+V
 *   shows them on the audience screen, small and beside the formula.
 *
 * Window roles: the notes plugin loads the deck twice inside its speaker
 * window, both with `receiver` in the query; the current-slide preview also
 * has `postMessageEvents=true`.  The speaker window forwards every keydown
 * to that preview as Reveal.triggerKey(keyCode) (no modifiers), so V works
 * there through the normal key binding.
 *
 * Only global: window.PresentKit (a plugin factory).
 */
(function (global) {
  'use strict';

  var NS = 'present-kit';

  function PresentKit() {
    var deck;                      // the Reveal instance
    var role;                      // 'main' | 'speaker' | 'preview'
    var deckId = location.pathname;
    var me = Math.random().toString(36).slice(2);
    var seq = 0;
    var lastSeen = {};             // sender id -> last sequence number applied
    var peers = new Set();         // windows reached by postMessage (main: the speaker preview)
    var channel = null;
    var cleanups = [];

    var laser = { on: false, dot: null, pending: null, frame: 0, remote: null };
    var panel = null;

    /* ------------------------------------------------------------ helpers */

    function el(tag, cls, text) {
      var node = document.createElement(tag);
      if (cls) node.className = cls;
      if (text != null) node.textContent = String(text);
      return node;
    }

    function listen(target, type, fn, opts) {
      target.addEventListener(type, fn, opts);
      cleanups.push(function () { target.removeEventListener(type, fn, opts); });
    }

    function onDeck(type, fn) {
      deck.on(type, fn);
      cleanups.push(function () { deck.off(type, fn); });
    }

    function bindKey(binding, fn) {
      deck.addKeyBinding(binding, fn);
      cleanups.push(function () { deck.removeKeyBinding(binding.keyCode || binding); });
    }

    function isTyping(target) {
      return !!target && (target.isContentEditable || /^(input|textarea|select)$/i.test(target.tagName || ''));
    }

    function consume(event) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }

    /* -------------------------------------------------- cross-window sync */

    function send(msg) {
      msg.ns = NS; msg.deck = deckId; msg.from = me; msg.seq = ++seq;
      if (channel) {
        try { channel.postMessage(msg); } catch (e) { /* closed channel */ }
      }
      var targets = role === 'main' ? Array.from(peers) : [speakerOpener()];
      targets.forEach(function (w) {
        try {
          if (w && !w.closed) w.postMessage(msg, '*');
          else peers.delete(w);
        } catch (e) { peers.delete(w); }
      });
    }

    // From the speaker preview: the audience window is the opener of the speaker window.
    function speakerOpener() {
      try { return window.parent !== window ? window.parent.opener : null; } catch (e) { return null; }
    }

    function receive(msg, source) {
      if (!msg || typeof msg !== 'object' || msg.ns !== NS || msg.deck !== deckId || msg.from === me) return;
      if (msg.seq <= (lastSeen[msg.from] || 0)) return;          // duplicate via the other transport
      lastSeen[msg.from] = msg.seq;
      if (role === 'main' && source && source !== window) peers.add(source);
      if (msg.type === 'hello') { speakers[msg.from] = true; sendLaserState(); }
      else if (msg.type === 'bye') delete speakers[msg.from];
      else if (msg.type === 'laser') applyRemoteLaser(msg);
      else if (msg.type === 'panel' && role === 'speaker') togglePanel();
    }

    function setupSync() {
      if (typeof BroadcastChannel === 'function') {
        try {
          channel = new BroadcastChannel(NS);
          channel.onmessage = function (e) { receive(e.data, null); };
          cleanups.push(function () { channel.close(); });
        } catch (e) { channel = null; }
      }
      listen(window, 'message', function (e) {
        if (role === 'speaker' && e.source !== speakerOpener()) return;
        if (role === 'main' && e.origin !== location.origin && location.protocol !== 'file:') return;
        receive(e.data, e.source);
      });
      if (role === 'speaker') {
        send({ type: 'hello' });
        listen(window, 'pagehide', function () { send({ type: 'bye' }); });
      }
    }

    /* ------------------------------------------------------ laser pointer */

    function slidesRect() {
      var slides = deck.getSlidesElement();
      return { box: slides.getBoundingClientRect(), w: slides.offsetWidth || 1, h: slides.offsetHeight || 1 };
    }

    function indices() {
      var i = deck.getIndices();
      return { h: i.h || 0, v: i.v || 0 };
    }

    function showDot(clientX, clientY) {
      laser.dot.style.setProperty('--pk-laser-scale', Math.min(Math.max(deck.getScale() || 1, 0.6), 3));
      laser.dot.style.transform = 'translate(' + clientX + 'px,' + clientY + 'px)';
      laser.dot.hidden = false;
    }

    function hideDot() {
      if (laser.dot) laser.dot.hidden = true;
    }

    function setLaser(on, broadcast) {
      laser.on = !!on;
      laser.remote = null;
      document.documentElement.classList.toggle('pk-laser-on', laser.on);
      if (!laser.on) hideDot();
      if (broadcast) send({ type: 'laser', on: laser.on, show: false });
    }

    function toggleLaser() {
      setLaser(!laser.on, true);
    }

    function sendLaserState() {
      send({ type: 'laser', on: laser.on, show: false });
    }

    function onPointerMove(e) {
      if (!laser.on || e.pointerType === 'touch' || deck.isOverview()) return;
      laser.pending = { x: e.clientX, y: e.clientY };
      if (!laser.frame) laser.frame = requestAnimationFrame(flushPointer);
    }

    function flushPointer() {
      laser.frame = 0;
      var p = laser.pending;
      if (!p || !laser.on) return;
      laser.remote = null;
      showDot(p.x, p.y);
      var r = slidesRect(), idx = indices();
      send({
        type: 'laser', on: true, show: true, h: idx.h, v: idx.v,
        x: (p.x - r.box.left) * r.w / r.box.width,
        y: (p.y - r.box.top) * r.h / r.box.height
      });
    }

    function onPointerLeave() {
      if (!laser.on) return;
      laser.pending = null;
      hideDot();
      send({ type: 'laser', on: true, show: false });
    }

    function applyRemoteLaser(msg) {
      if (msg.on !== laser.on) setLaser(msg.on, false);
      if (!laser.on) return;
      laser.remote = msg.show ? msg : null;
      if (laser.remote) drawRemote(); else hideDot();
    }

    // Project the remote point (slide px) into this window, on the same slide only.
    function drawRemote() {
      var m = laser.remote;
      if (!m) return;
      var idx = indices();
      if (m.h !== idx.h || m.v !== idx.v || deck.isOverview()) { hideDot(); return; }
      var r = slidesRect();
      showDot(r.box.left + m.x * r.box.width / r.w, r.box.top + m.y * r.box.height / r.h);
    }

    function setupLaser() {
      laser.dot = el('div', 'pk-laser');
      laser.dot.hidden = true;
      laser.dot.setAttribute('aria-hidden', 'true');
      document.body.appendChild(laser.dot);
      listen(document, 'pointermove', onPointerMove, { passive: true });
      listen(document, 'mouseout', function (e) { if (!e.relatedTarget) onPointerLeave(); });
      ['slidechanged', 'resize', 'overviewshown', 'overviewhidden'].forEach(function (type) { onDeck(type, drawRemote); });
    }

    /* ---------------------------------------------------------- keyboard */

    function onKeyDownCapture(e) {
      if (isTyping(e.target)) return;
      var isO = e.code === 'KeyO' || e.keyCode === 79;
      if (isO && !e.shiftKey && (e.altKey || e.ctrlKey || e.metaKey)) {
        consume(e);                              // also stops Reveal's O = overview and Ctrl+O = open file
        toggleLaser();
      } else if ((e.code === 'KeyV' || e.keyCode === 86) && e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey
                 && role === 'main') {
        consume(e);                              // Reveal ignores keys with Shift: the audience-screen panel
        togglePanel(undefined, true);
      } else if (panel && !panel.hidden && (e.key === 'Escape' || e.keyCode === 27)) {
        consume(e);
        togglePanel(false);
      }
    }

    function setupKeys() {
      if (role === 'preview') return;
      var config = deck.getConfig();
      if (config.keyboard === false) return;

      listen(window, 'keydown', onKeyDownCapture, true);

      // Details panel: a normal Reveal binding, so it shows in the help overlay
      // and also fires for keys the speaker window forwards to its preview.
      bindKey({ keyCode: 86, key: 'V', description: 'Derivation check details (in the speaker view when open; Shift+V: here)' },
        function () { togglePanel(); });
      deck.registerKeyboardShortcut('Alt + O, Ctrl/⌘ + O', 'Laser pointer');

      if (role === 'speaker') {
        // The speaker window forwards keys without modifiers, so here a bare O
        // toggles the laser (Esc still gives the overview), and a forwarded
        // Esc closes the panel first.
        bindKey(79, toggleLaser);
        bindKey(27, function () {
          if (panel && !panel.hidden) togglePanel(false);
          else if (!(deck.closeOverlay && deck.closeOverlay())) deck.toggleOverview();
        });
        // Same origin (http): catch Alt/Ctrl/Cmd+O and Esc in the speaker window
        // itself, before it forwards them or the browser opens a file dialog.
        try {
          var outer = window.parent;
          if (outer !== window && outer.document) {
            outer.addEventListener('keydown', onKeyDownCapture, true);
            cleanups.push(function () { try { outer.removeEventListener('keydown', onKeyDownCapture, true); } catch (e) { /* gone */ } });
            listen(window, 'pagehide', destroy);
          }
        } catch (e) { /* cross-origin (file://): rely on the forwarded bare O */ }
      }
    }

    /* ----------------------------------------------------- details panel */

    // The panel's content is written by the build: a <template class=
    // "derivation-panel"> in each derivation, in the deck's language, its maths
    // typeset by KaTeX.  Here: where it shows, which row it explains (the row
    // revealed last, or the one clicked), and that row's highlight on the slide.
    //
    // Where: in the speaker window when one is open (docked beside the
    // previews when the speaker window is reachable, inside the current-slide
    // preview otherwise); on the audience screen only when asked there with
    // Shift+V (or V with no speaker view), then small and beside the formula.

    var focus = { block: null, step: 0 };
    var speakers = {};             // main: ids of speaker windows that said hello

    function panelWords() {
      var data = deck.getRevealElement().dataset;
      return {
        title: data.panelTitle || 'Checks on this slide',
        close: data.panelClose || 'V or Esc to close',
        empty: data.panelEmpty || 'No derivation or formula on this slide to check.',
        formulas: data.panelFormulas || 'Formulas on this slide',
        strengths: data.panelStrengths ? JSON.parse(data.panelStrengths) : {},
        because: data.panelBecause ? JSON.parse(data.panelBecause) : {}
      };
    }

    function rowVisible(row) {
      return !row.closest('.fragment:not(.visible)');
    }

    // The row a presenter is talking about: the last one revealed on the slide.
    function currentFocus(blocks) {
      var found = { block: blocks[0] || null, step: 0 };
      blocks.forEach(function (block) {
        block.querySelectorAll('.dv-row').forEach(function (row) {
          if (rowVisible(row) && !block.closest('.fragment:not(.visible)')) {
            found = { block: block, step: parseInt(row.getAttribute('data-step'), 10) || 0 };
          }
        });
      });
      return found;
    }

    function setFocus(block, step) {
      focus = { block: block, step: step };
      deck.getSlidesElement().querySelectorAll('.dv-row.pk-focus').forEach(function (r) { r.classList.remove('pk-focus'); });
      if (block && panel && !panel.hidden) {
        block.querySelectorAll('.dv-row[data-step="' + step + '"]').forEach(function (r) { r.classList.add('pk-focus'); });
      }
      if (!panel) return;
      var id = block ? block.getAttribute('data-derivation') : null;
      panel.querySelectorAll('.pk-step').forEach(function (li) {
        var dv = li.closest('.pk-dv');
        var on = !!dv && dv.getAttribute('data-derivation') === id && parseInt(li.getAttribute('data-step'), 10) === step;
        li.classList.toggle('pk-step--focus', on);
        if (on && li.scrollIntoView) li.scrollIntoView({ block: 'nearest' });
      });
      if (panel.classList.contains('pk-panel--beside')) placeBeside();
    }

    function renderPanel() {
      var slide = deck.getCurrentSlide();
      var blocks = slide ? Array.from(slide.querySelectorAll('.slide-derivation[data-derivation]')) : [];
      var body = panel.querySelector('.pk-panel__body');
      var doc = panel.ownerDocument;
      body.replaceChildren();
      panel.querySelector('.pk-panel__where').textContent = slide ? PresentKit.slideNumber(slide).join('') : '';
      var claims = slide ? Array.from(slide.querySelectorAll('.formula-check[data-strength]'))
        .filter(function (m) { return !m.closest('aside.notes'); }) : [];
      if (!blocks.length && !claims.length) body.append(el('p', 'pk-panel__empty', panelWords().empty));
      blocks.forEach(function (block) {
        var template = block.querySelector('template.derivation-panel');
        if (!template) return;
        var part = doc.importNode(template.content, true);
        part.querySelectorAll('.pk-step').forEach(function (li) {
          li.addEventListener('click', function () { setFocus(block, parseInt(li.getAttribute('data-step'), 10) || 0); });
        });
        body.append(part);
      });
      if (claims.length) body.append(formulaChecks(claims, doc));
      numberClaims(claims.length > 1 && panel.classList.contains('pk-panel--beside') ? claims : []);
      var f = currentFocus(blocks);
      setFocus(f.block, f.step);
    }

    // The slide's formulas outside derivations that state a relation: each with the strength of its check and
    // why (the build wrote both on its mark: data-strength, and the tooltip), the formula as the slide shows it.
    var CLAIM_STATUS = { proved: 'verified', evaluated: 'verified', failing: 'failing', 'not checked': 'unverified' };
    // The tooltip names the strength first (its word: data-panel-because); the panel's label says it already.
    function reasonOf(mark, strength, words) {
      var text = mark.getAttribute('title') || '', word = words.because[strength];
      if (word && text.indexOf(word + ': ') === 0) text = text.slice(word.length + 2);
      return text.replace(/^not evaluable: /, '');
    }

    // Audience screen: the card shows no formulas (they are on the slide, beside it), so with more than one a
    // number on the slide says which entry of the card speaks of which formula: left of a displayed formula,
    // at the top left corner of one in the text. The numbers float over the slide (nothing moves) while the
    // card is open, in the slide's own units (they scale with it); `marks` empty takes them all away.
    var numbered = [];             // the marks numbered on the audience screen now
    function numberClaims(marks) {
      numbered = marks;
      document.querySelectorAll('.pk-claim-n').forEach(function (n) { n.remove(); });
      var range = document.createRange();
      marks.forEach(function (mark, i) {
        var section = mark.closest('section'), html = mark.querySelector('.katex-html');
        if (!section || !html || !rowVisible(mark)) return;   // a formula still to come has no number yet
        range.selectNodeContents(html);
        var first = range.getClientRects()[0], box = section.getBoundingClientRect();
        if (!first) return;
        var scale = box.width / (section.offsetWidth || 1) || 1;
        var n = el('span', 'pk-claim-n', String(i + 1));
        n.setAttribute('aria-hidden', 'true');
        n.classList.toggle('pk-claim-n--inline', !mark.closest('.math-display'));
        n.style.left = (first.left - box.left) / scale + 'px';
        n.style.top = (n.classList.contains('pk-claim-n--inline') ? first.top : first.top + first.height / 2) / scale -
          box.top / scale + 'px';
        section.append(n);
      });
    }

    function formulaChecks(marks, doc) {
      var words = panelWords();
      var part = doc.createElement('section');
      part.className = 'pk-claims';
      var title = doc.createElement('div');
      title.className = 'pk-dv__title';
      title.textContent = words.formulas;
      var list = doc.createElement('ol');
      list.className = 'pk-steps';
      marks.forEach(function (mark, i) {
        var strength = mark.getAttribute('data-strength');
        var item = doc.createElement('li');
        item.className = 'pk-claim';
        item.setAttribute('data-strength', strength);
        var label = doc.createElement('span');
        label.className = CLAIM_STATUS[strength] ? 'pk-status' : 'pk-strength';
        if (CLAIM_STATUS[strength]) label.setAttribute('data-status', CLAIM_STATUS[strength]);
        label.textContent = words.strengths[strength] || strength;
        var tex = doc.createElement('div');
        tex.className = 'pk-claim__tex';
        Array.from(mark.childNodes).forEach(function (n) { tex.append(doc.importNode(n, true)); });
        var how = doc.createElement('p');
        how.className = 'pk-step__how';
        how.textContent = reasonOf(mark, strength, words);
        if (marks.length > 1) {
          var n = doc.createElement('span');
          n.className = 'pk-claim__n';
          n.textContent = String(i + 1);
          item.append(n);
        }
        item.append(label, tex, how);
        list.append(item);
      });
      part.append(title, list);
      return part;
    }

    // Without a derivation, the card lists the slide's formulas: it goes beside all of the slide's maths, over none.
    function claimToPlaceBy() {
      var slide = deck.getCurrentSlide();
      return slide && slide.querySelector('.formula-check') ? slide : null;
    }

    // Audience screen: a small card in the free space beside the formula, never over it.
    function placeBeside() {
      var block = focus.block || claimToPlaceBy();
      var style = panel.style;
      style.left = style.top = style.maxHeight = style.width = '';
      if (!block) return;
      var range = document.createRange();
      var html = block.querySelectorAll('.katex-html');
      var ink = null;
      html.forEach(function (k) {
        range.selectNodeContents(k);
        var r = range.getBoundingClientRect();
        ink = ink ? { left: Math.min(ink.left, r.left), right: Math.max(ink.right, r.right), top: Math.min(ink.top, r.top),
          bottom: Math.max(ink.bottom, r.bottom) } : { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      });
      if (!ink) return;
      (block.closest('section') || block).querySelectorAll('.pk-claim-n').forEach(function (n) {
        ink.left = Math.min(ink.left, n.getBoundingClientRect().left);
      });
      block.querySelectorAll('.formula-check[data-strength="failing"]').forEach(function (m) {
        var r = m.getBoundingClientRect(), scale = r.width / (m.offsetWidth || 1) || 1, f = getComputedStyle(m, '::after');
        var wide = scale * ((parseFloat(f.width) || 0) + (parseFloat(f.paddingLeft) || 0) + (parseFloat(f.paddingRight) || 0) + 8);
        var high = scale * ((parseFloat(f.height) || 0) + 8);     // its flag: right of a displayed one, above one in the text
        ink = { left: Math.min(ink.left, r.left), right: Math.max(ink.right, r.right + wide), top: Math.min(ink.top, r.top - high),
          bottom: Math.max(ink.bottom, r.bottom) };
      });
      block.querySelectorAll('.dv-row').forEach(function (r) { ink.right = Math.max(ink.right, markRight(r)); });
      var row = block.querySelector('.dv-row.pk-focus') || block.querySelector('.dv-row');
      var rowTop = row ? row.getBoundingClientRect().top : ink.top;
      var vw = window.innerWidth, vh = window.innerHeight, gap = 12, narrowest = 220, lowest = 150;
      // To the right, only the rows beside the card count: a long first row does not push it below.
      var bandTop = Math.max(gap, rowTop - 8), bandBottom = bandTop + (panel.offsetHeight || 200);
      var besideRight = -Infinity;
      block.querySelectorAll('.dv-row').forEach(function (r) {
        var box = r.lastElementChild ? r.lastElementChild.getBoundingClientRect() : r.getBoundingClientRect();
        if (box.bottom > bandTop && box.top < bandBottom) besideRight = Math.max(besideRight, box.right, markRight(r));
      });
      if (besideRight > -Infinity) ink.right = Math.min(ink.right, besideRight);
      var right = vw - ink.right - 2 * gap, left = ink.left - 2 * gap;
      var width = Math.min(300, Math.max(right, left));
      style.width = width + 'px';
      var height = panel.offsetHeight || 160;
      var clampTop = function (t) { return Math.max(gap, Math.min(t, vh - height - gap)); };
      // Beside the maths, the card is as tall as the column it stands in is free of maths below its top.
      var tallest = function (top, from, to) {
        var bottom = vh - gap, range = document.createRange();
        deck.getCurrentSlide().querySelectorAll('.katex-html').forEach(function (k) {
          range.selectNodeContents(k);
          Array.from(range.getClientRects()).forEach(function (r) {
            if (r.width && r.left < to && r.right > from && r.top > top) bottom = Math.min(bottom, r.top - gap);
          });
        });
        return Math.max(lowest, bottom - top) + 'px';
      };
      if (right >= narrowest && right >= left) {
        style.left = (vw - gap - width) + 'px'; style.top = clampTop(rowTop - 8) + 'px';      // hug the screen's edge
        style.maxHeight = tallest(parseFloat(style.top), vw - 2 * gap - width, vw);
      } else if (left >= narrowest) {
        style.left = gap + 'px'; style.top = clampTop(rowTop - 8) + 'px';
        style.maxHeight = tallest(parseFloat(style.top), 0, width + 2 * gap);
      } else if (Math.max(vh - ink.bottom, ink.top) - 2 * gap < lowest) {
        // maths from edge to edge and top to bottom: a card squeezed into a sliver would be read by no one, so
        // it goes over the slide at the screen's right edge, as tall as it needs (Esc or V takes it away)
        style.left = (vw - gap - 300) + 'px'; style.top = gap + 'px'; style.width = '300px';
        style.maxHeight = (vh - 2 * gap) + 'px';
      } else {
        var below = vh - ink.bottom - 2 * gap, above = ink.top - 2 * gap;
        width = Math.min(420, vw - 2 * gap);
        style.left = Math.max(gap, Math.min(ink.right - width, vw - width - gap)) + 'px';
        if (below >= above) { style.top = (ink.bottom + gap) + 'px'; style.maxHeight = Math.max(below, 60) + 'px'; }
        else { style.maxHeight = Math.max(above, 60) + 'px'; style.top = Math.max(gap, ink.top - gap - Math.min(height, above)) + 'px'; }
        style.width = width + 'px';
      }
      moreBelow();
    }

    // A card with more than it shows fades out at its foot until scrolled to the end.
    function moreBelow() {
      var body = panel.querySelector('.pk-panel__body');
      panel.classList.toggle('pk-panel--more', body.scrollTop + body.clientHeight < body.scrollHeight - 2);
    }

    // The speaker window (same origin): the panel docks there, styled by the deck's own stylesheets.
    function speakerDocument() {
      if (role !== 'speaker') return null;
      try {
        var doc = window.parent !== window ? window.parent.document : null;
        if (!doc || !doc.body) return null;
        if (!doc.querySelector('[data-pk-styles]')) {
          // linked stylesheets by their absolute URL; a single-file deck's inlined <style>s as they are
          document.querySelectorAll('link[rel="stylesheet"], style').forEach(function (node) {
            var copy = node.tagName === 'LINK' ? doc.createElement('link') : doc.importNode(node, true);
            if (node.tagName === 'LINK') { copy.rel = 'stylesheet'; copy.href = node.href; }
            copy.setAttribute('data-pk-styles', '');
            doc.head.appendChild(copy);
          });
        }
        return doc;
      } catch (e) { return null; }   // file:// — stay inside the preview
    }

    function buildPanel(where) {
      var words = panelWords();
      var host = where === 'speaker' ? speakerDocument() : null;
      var doc = host || document;
      var make = function (tag, cls, text) {
        var node = doc.createElement(tag);
        if (cls) node.className = cls;
        if (text != null) node.textContent = text;
        return node;
      };
      panel = make('aside', 'pk-panel');
      panel.classList.add(where === 'speaker' ? (host ? 'pk-panel--docked' : 'pk-panel--speaker') : 'pk-panel--beside');
      panel.hidden = true;
      panel.lang = document.documentElement.lang;
      panel.setAttribute('role', 'dialog');
      panel.setAttribute('aria-label', words.title);
      var head = make('header', 'pk-panel__head');
      var close = make('button', 'pk-panel__close', '×');
      close.type = 'button';
      close.setAttribute('aria-label', words.close);
      close.addEventListener('click', function () { togglePanel(false); });
      head.append(make('span', 'pk-panel__title', words.title), make('span', 'pk-panel__where'), close);
      panel.append(head, make('div', 'pk-panel__body'), make('footer', 'pk-panel__foot', words.close));
      // Keep wheel scrolling inside the panel from changing slides (mouseWheel: true).
      panel.addEventListener('wheel', function (e) { e.stopPropagation(); }, { passive: true });
      panel.querySelector('.pk-panel__body').addEventListener('scroll', moreBelow, { passive: true });
      doc.body.appendChild(panel);
      cleanups.push(function () { if (panel) panel.remove(); });
      onDeck('slidechanged', function () { if (!panel.hidden) renderPanel(); });
      ['fragmentshown', 'fragmenthidden'].forEach(function (type) {
        onDeck(type, function () {
          if (panel.hidden) return;
          if (numbered.length) numberClaims(numbered);
          var f = currentFocus(Array.from(deck.getCurrentSlide().querySelectorAll('.slide-derivation[data-derivation]')));
          setFocus(f.block, f.step);
        });
      });
      onDeck('resize', function () { if (!panel.hidden && panel.classList.contains('pk-panel--beside')) placeBeside(); });
    }

    function speakerOpen() {
      return Object.keys(speakers).length > 0;
    }

    // V: the speaker view when one is open, else here.  Shift+V (here: `beside`): always here.
    function togglePanel(force, here) {
      if (role === 'main' && !here && typeof force !== 'boolean' && speakerOpen()) {
        send({ type: 'panel' });
        return;
      }
      if (!panel) buildPanel(role === 'main' ? 'beside' : 'speaker');
      var open = typeof force === 'boolean' ? force : panel.hidden;
      panel.hidden = !open;
      if (open) renderPanel();
      else { setFocus(null, 0); numberClaims([]); }
    }

    /* ------------------------------------------------- derivation marks */

    // Marks line up right of the last align* column.  When that column ends
    // too close to the slide's right edge for a flag to fit, fall back to
    // marks that follow each row ('dv-ragged'); when even those would run off
    // the slide, the derivation is set a little smaller (--dv-fit, never below
    // MIN_FIT) until its marks end inside the slide's right padding.  What
    // still does not fit is left for `check --layout` to report.
    var MIN_FIT = 0.85;

    function markRight(row) {
      var host = row.lastElementChild;
      var style = host && getComputedStyle(host, '::after');
      if (!style || style.content === 'none' || style.content === 'normal') return -Infinity;
      var scale = host.getBoundingClientRect().width / (host.offsetWidth || 1) || 1;
      return host.getBoundingClientRect().right + scale * (parseFloat(style.marginLeft) + parseFloat(style.width) +
        parseFloat(style.paddingLeft) + parseFloat(style.paddingRight));
    }

    function fitMarks(scope) {
      scope = scope && scope.querySelectorAll ? scope : deck.getCurrentSlide();
      if (!scope) return;
      // A failing displayed formula's flag goes right of it, or above it where the slide ends first.
      scope.querySelectorAll('.math-display > .formula-check[data-strength="failing"]').forEach(function (m) {
        var section = m.closest('section');
        if (!section) return;
        m.classList.remove('pk-flag-above');
        var r = m.getBoundingClientRect(), f = getComputedStyle(m, '::after'), scale = r.width / (m.offsetWidth || 1) || 1;
        var right = r.right + scale * ((parseFloat(f.width) || 0) + (parseFloat(f.paddingLeft) || 0) +
          (parseFloat(f.paddingRight) || 0) + 8);
        m.classList.toggle('pk-flag-above', right > section.getBoundingClientRect().right);
      });
      var blocks = scope.querySelectorAll('.slide-derivation');
      if (!blocks.length) return;                       // measuring would lay the page out for nothing
      var slides = deck.getSlidesElement();
      var scale = slides.getBoundingClientRect().width / (slides.offsetWidth || 1);
      blocks.forEach(function (block) {
        var row = block.querySelector('.dv-row');
        var section = block.closest('section');
        if (!row || !section) return;
        block.style.removeProperty('--dv-fit');
        var column = row.parentNode.getBoundingClientRect();
        var room = 3.4 * parseFloat(getComputedStyle(row).fontSize) * scale;   // widest flag + gap
        var box = section.getBoundingClientRect();
        block.classList.toggle('dv-ragged', column.right + room > box.right);
        var limit = box.right - 24 * scale, left = block.getBoundingClientRect().left, fit = 1;
        for (var i = 0; i < 4; i++) {
          var right = Math.max.apply(null, Array.from(block.querySelectorAll('.dv-row')).map(markRight));
          if (!(right > limit) || fit <= MIN_FIT) break;
          fit = Math.max(MIN_FIT, fit * (limit - left) / (right - left) - 0.005);
          block.style.setProperty('--dv-fit', fit.toFixed(3));
        }
      });
    }

    /* ------------------------------------------------- first view */

    // The page opens with Reveal laying out its current slide only (viewDistance 1):
    // that slide in its fonts is all the first view needs, and every neighbour laid
    // out with it (formulas, MathML, fonts fetched) is time before the deck is ready.
    // After the first frame, once the fonts are in: the marks are fitted again (the
    // fonts set the widths), and the neighbours a slide change moves in are laid out
    // (the view distance the page names, `presentKit.viewDistance`; a wider one asked
    // for in the URL, ?viewDistance=…, is left as it is). Not earlier: touching
    // document.fonts makes Chromium bring style and layout up to date on the spot.
    // Then, while the page is idle, the rest of the deck, one slide each time, nearest
    // first: a slide change then only turns classes over, instead of laying out, in the
    // frame that shows it, the slide that comes into the view (30 ms and more for a
    // slide of formulas, two frames and over). The slide is kept displayed by a class
    // of its own (theme.css), not by a wider view distance: each Reveal.configure()
    // runs Reveal's sync(), which rebuilds every slide's background, and would cost
    // the whole deck once per slide. Media (data-src) still load when Reveal's own
    // view distance reaches their slide. Only on the audience screen: the speaker
    // view's two small previews change slides off the projector, and laying out the
    // deck twice more there would be the laptop's work for nothing it shows.
    function afterFirstView() {
      var wanted = (deck.getConfig().presentKit || {}).viewDistance;
      var then = function () {
        fitMarks();
        if (wanted > deck.getConfig().viewDistance) deck.configure({ viewDistance: wanted });
        if (role === 'main') layOutTheRest();
        if (notesHolder) whenIdle(loadNotes);
      };
      requestAnimationFrame(function () {
        setTimeout(function () {
          if (document.fonts && document.fonts.ready) document.fonts.ready.then(then);
          else then();
        }, 0);
      });
    }

    var whenIdle = window.requestIdleCallback
      ? function (work) { window.requestIdleCallback(work, { timeout: 2000 }); }
      : function (work) { setTimeout(work, 50); };

    function layOutTheRest() {
      var here = deck.getIndices().h, queue = [];
      deck.getHorizontalSlides()
        .map(function (slide, i) { return { slide: slide, far: Math.abs(i - here), i: i }; })
        .sort(function (a, b) { return a.far - b.far || a.i - b.i; })
        .forEach(function (o) {  // a vertical stack before the slides it holds
          queue.push(o.slide);
          queue.push.apply(queue, o.slide.querySelectorAll('section'));
        });
      (function next() {
        var slide = queue.shift();
        if (!slide) return;
        slide.classList.add('pk-laid-out');
        void slide.offsetHeight;  // laid out here, in the idle time, not in the next frame
        whenIdle(next);
      })();
    }

    /* -------------------------------------------------------- fullscreen */

    function setupFullscreen() {
      var root = document.documentElement;
      var request = root.requestFullscreen || root.webkitRequestFullscreen;
      if (role !== 'main' || !request || document.fullscreenEnabled === false) return;

      var button = el('button', 'pk-fullscreen');
      button.type = 'button';
      button.title = 'Fullscreen (F)';
      button.setAttribute('aria-label', 'Toggle fullscreen');
      button.innerHTML =
        '<svg class="pk-fs-enter" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5"/></svg>' +
        '<svg class="pk-fs-exit" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M9 4v5H4M15 4v5h5M9 20v-5H4M15 20v-5h5"/></svg>';
      button.addEventListener('mousedown', function (e) { e.preventDefault(); });   // keep focus on the deck
      button.addEventListener('click', function () {
        var current = document.fullscreenElement || document.webkitFullscreenElement;
        var exit = document.exitFullscreen || document.webkitExitFullscreen;
        var result = current ? exit.call(document) : request.call(root);
        if (result && result.catch) result.catch(function () { /* refused by the browser */ });
      });
      deck.getRevealElement().appendChild(button);

      var sync = function () {
        root.classList.toggle('pk-is-fullscreen', !!(document.fullscreenElement || document.webkitFullscreenElement));
      };
      listen(document, 'fullscreenchange', sync);
      listen(document, 'webkitfullscreenchange', sync);
    }

    /* ------------------------------------------------------- speaker view */

    // The notes plugin writes its speaker window from a string, with none of the
    // deck's styles. Give it the deck's fonts, KaTeX's CSS and the theme (its
    // body.pk-speaker-view rules), so Chinese notes and formulas in notes read as
    // on the slides. The window is about:blank opened by this page, so it is
    // reachable from here even when the deck is opened from disk.
    var SPEAKER_WINDOW = 'reveal.js - Notes';

    function setupSpeakerView() {
      var open = window.open;
      window.open = function (url, name) {
        var win = open.apply(window, arguments);
        if (win && name === SPEAKER_WINDOW) styleSpeakerWindow(win, 0);
        return win;
      };
      cleanups.push(function () { window.open = open; });
    }

    function styleSpeakerWindow(win, tries) {
      var doc;
      try { doc = win.document; } catch (e) { return; }
      if (!doc || !doc.head || !doc.body || !doc.querySelector('.speaker-controls-notes')) {
        if (tries < 200 && !win.closed) setTimeout(function () { styleSpeakerWindow(win, tries + 1); }, 25);
        return;
      }
      if (doc.querySelector('link[data-pk-speaker]')) return;
      document.querySelectorAll('link[rel="stylesheet"]').forEach(function (own) {
        if (!/(katex|fonts|theme)\.css$/.test(own.getAttribute('href') || '')) return;
        var link = doc.createElement('link');
        link.rel = 'stylesheet';
        link.href = own.href;                       // absolute: the window's own URL is about:blank
        link.setAttribute('data-pk-speaker', '');
        doc.head.appendChild(link);
      });
      doc.documentElement.lang = document.documentElement.lang;
      doc.body.classList.add('pk-speaker-view');
    }

    // Reveal's notes plugin is 68 KB, most of it a Markdown parser for notes, and
    // nothing a deck needs to open: evaluated with the deck's own scripts it held
    // Reveal's ready back by 13 ms (median of alternating loads of the two pages;
    // 40 ms and more in some runs). The page carries it inert (a script of
    // type text/x-on-demand, whose src the single-file page turns into its text)
    // and it runs here: in the idle time after the first slide shows, or at once
    // when the speaker view is wanted sooner (S, ?notes in the URL, or the speaker
    // window of the page's previous load asking to reconnect). Registered late,
    // the plugin starts as it would have at load: it binds S in place of the
    // binding here, and opens the speaker window itself for ?notes.
    var notesHolder = null, notesPlugin = null;

    function setupSpeakerNotes() {
      var holder = document.querySelector('script[type="text/x-on-demand"][data-reveal-plugin="notes"]');
      if (!holder || deck.hasPlugin('notes')) return;
      notesHolder = holder;
      if (/(\?|&)notes/i.test(location.search)) { onDeck('ready', loadNotes); return; }
      bindKey({ keyCode: 83, key: 'S', description: 'Speaker notes view' }, function () {
        loadNotes().then(function (notes) { notes.open(); });
      });
      var heartbeat = function (event) {
        var said = null;
        try { said = typeof event.data === 'string' && JSON.parse(event.data); } catch (e) { /* not ours */ }
        if (!said || said.namespace !== 'reveal-notes' || said.type !== 'heartbeat') return;
        window.removeEventListener('message', heartbeat);
        loadNotes().then(function () {  // the plugin hears this beat, not only the next one
          window.dispatchEvent(new MessageEvent('message', { data: event.data, origin: event.origin, source: event.source }));
        });
      };
      listen(window, 'message', heartbeat);
    }

    function loadNotes() {
      if (!notesPlugin) {
        notesPlugin = new Promise(function (resolve, reject) {
          var script = document.createElement('script');
          var src = notesHolder.getAttribute('src');
          if (src) {
            script.onload = resolve;
            script.onerror = function () { reject(new Error('the speaker notes plugin did not load: ' + src)); };
            script.src = src;
          } else {
            script.text = notesHolder.text;
          }
          document.head.appendChild(script);
          if (!src) resolve();
        }).then(function () {
          if (!deck.hasPlugin('notes')) deck.registerPlugin(global.RevealNotes());
          return deck.getPlugin('notes');
        });
        notesPlugin.catch(function () { notesPlugin = null; });  // S tries again
      }
      return notesPlugin;
    }

    /* ------------------------------------------------------------ plugin */

    function destroy() {
      cleanups.splice(0).forEach(function (fn) { try { fn(); } catch (e) { /* ignore */ } });
      [laser.dot, panel, document.querySelector('.pk-fullscreen')].forEach(function (node) { if (node) node.remove(); });
    }

    return {
      id: 'present-kit',
      init: function (reveal) {
        deck = reveal;
        var receiver = /receiver/i.test(location.search);   // same test as the notes plugin
        role = !receiver ? 'main'
          : new URLSearchParams(location.search).get('postMessageEvents') === 'true' ? 'speaker' : 'preview';
        if (receiver) document.documentElement.classList.add('pk-receiver');

        // Title and closing slides: let Reveal centre them vertically (its own
        // `center` slide class; also honoured by the overview and PDF export).
        deck.getSlidesElement().querySelectorAll('section.title-slide, section.thanks-slide')
          .forEach(function (s) { s.classList.add('center'); });
        if (deck.getConfig().view === 'print') {          // PDF export: no tools
          onDeck('pdf-ready', function () { fitMarks(deck.getSlidesElement()); });
          return;
        }

        setupFullscreen();
        setupKeys();
        onDeck('ready', function () { fitMarks(); afterFirstView(); });
        onDeck('slidechanged', function () { fitMarks(); });
        if (role === 'main') {
          setupSpeakerView();
          setupSpeakerNotes();
        }
        if (role !== 'preview') {
          setupLaser();
          setupSync();
        }
      },
      destroy: destroy
    };
  }

  // Reveal's `slideNumber` as a function: the lecture counts up to its closing
  // slide (Reveal leaves data-visibility="uncounted" slides out of the total
  // and of the progress bar); an appendix slide shows its own label and count,
  // both written by the build ("附录 3" / "16").
  PresentKit.slideNumber = function (slide) {
    var reveal = global.Reveal;
    if (slide && slide.dataset.numberLabel) {
      return [slide.dataset.numberLabel, '/', parseInt(slide.dataset.numberTotal, 10)];
    }
    return [reveal.getSlidePastCount(slide) + 1, '/', reveal.getTotalSlides()];
  };

  global.PresentKit = PresentKit;
})(typeof window !== 'undefined' ? window : this);
