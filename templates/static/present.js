/*!
 * PresentKit — presenter helpers for the lecture deck (a reveal.js 6 plugin).
 *
 *   Reveal.initialize({ …, plugins: [RevealNotes, PresentKit] })
 *
 * - Fullscreen button (top right) using the Fullscreen API.
 * - Laser pointer: Alt+O or Ctrl/Cmd+O toggles a red dot that follows the
 *   mouse.  The dot is mirrored between the audience window and the speaker
 *   view's current-slide preview (BroadcastChannel, plus window.postMessage
 *   via the speaker window's opener as a fallback, e.g. for file://).
 * - V: panel listing the machine checks of every .slide-derivation on the
 *   current slide (data from its <script class="derivation-details">).
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
  var STATUS_LABEL = { verified: '✓ verified', failing: '✗ failing', stale: '? stale', unverified: 'unverified' };

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
      if (msg.type === 'hello') sendLaserState();
      else if (msg.type === 'laser') applyRemoteLaser(msg);
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
      if (role === 'speaker') send({ type: 'hello' });
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
      bindKey({ keyCode: 86, key: 'V', description: 'Derivation check details' }, function () { togglePanel(); });
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

    function readDetails(block) {
      var data = null, script = block.querySelector('script.derivation-details');
      if (script) {
        try { data = JSON.parse(script.textContent); } catch (e) { data = null; }
      }
      data = data || {};
      return {
        id: data.id || block.getAttribute('data-derivation') || '',
        title: data.title || '',
        status: block.getAttribute('data-status') || data.status || 'unverified',
        steps: Array.isArray(data.steps) ? data.steps : []
      };
    }

    function statusPill(status) {
      var s = STATUS_LABEL[status] ? status : 'unverified';
      var pill = el('span', 'pk-status', STATUS_LABEL[s]);
      pill.setAttribute('data-status', s);
      return pill;
    }

    function fmt(value) {
      return value === null || value === undefined || value === '' ? '—' : String(value);
    }

    function renderStep(step) {
      var li = el('li', 'pk-step');
      li.setAttribute('data-status', step.status || 'unverified');
      var head = el('div', 'pk-step__head');
      head.append(el('span', 'pk-step__idx', step.index), el('span', 'pk-step__rel', step.relation || ''),
        el('span', 'pk-step__name', step.name || ''), statusPill(step.status));
      var meta = el('dl', 'pk-step__meta');
      var check = el('code', null, fmt(step.check));
      [['check', check], ['method', fmt(step.method)], ['points', fmt(step.points)], ['tolerance', fmt(step.tolerance)],
        ['slide LaTeX', fmt(step.evaluation)]]
        .forEach(function (row) {
          var dd = el('dd');
          dd.append(row[1]);
          meta.append(el('dt', null, row[0]), dd);
        });
      li.append(head, meta);
      if (step.detail) li.append(el('p', 'pk-step__detail', step.detail));
      return li;
    }

    function renderDerivation(info) {
      var box = el('section', 'pk-dv');
      var head = el('div', 'pk-dv__head');
      var titles = el('div');
      titles.append(el('div', 'pk-dv__title', info.title || info.id));
      if (info.title && info.id) titles.append(el('code', 'pk-dv__id', info.id));
      var ok = info.steps.filter(function (s) { return s.status === 'verified'; }).length;
      titles.append(el('div', 'pk-dv__summary', ok + ' of ' + info.steps.length + ' steps verified'));
      head.append(titles, statusPill(info.status));
      var list = el('ol', 'pk-steps');
      info.steps.forEach(function (s) { list.append(renderStep(s)); });
      box.append(head, info.steps.length ? list : el('p', 'pk-panel__empty', 'No check results recorded for this derivation.'));
      return box;
    }

    function renderPanel() {
      var slide = deck.getCurrentSlide();
      var blocks = slide ? Array.from(slide.querySelectorAll('.slide-derivation')) : [];
      var body = panel.querySelector('.pk-panel__body');
      body.replaceChildren();
      panel.querySelector('.pk-panel__where').textContent = 'slide ' + (deck.getSlidePastCount() + 1);
      if (!blocks.length) body.append(el('p', 'pk-panel__empty', 'No checked derivations on this slide.'));
      blocks.forEach(function (b) { body.append(renderDerivation(readDetails(b))); });
    }

    function buildPanel() {
      panel = el('aside', 'pk-panel');
      panel.hidden = true;
      panel.setAttribute('role', 'dialog');
      panel.setAttribute('aria-label', 'Derivation checks');
      var head = el('header', 'pk-panel__head');
      var close = el('button', 'pk-panel__close', '×');
      close.type = 'button';
      close.setAttribute('aria-label', 'Close');
      close.addEventListener('click', function () { togglePanel(false); });
      head.append(el('span', 'pk-panel__title', 'Derivation checks'), el('span', 'pk-panel__where'), close);
      var foot = el('footer', 'pk-panel__foot');
      foot.append(el('kbd', null, 'V'), ' or ', el('kbd', null, 'Esc'), ' to close');
      panel.append(head, el('div', 'pk-panel__body'), foot);
      // Keep wheel scrolling inside the panel from changing slides (mouseWheel: true).
      panel.addEventListener('wheel', function (e) { e.stopPropagation(); }, { passive: true });
      document.body.appendChild(panel);
      onDeck('slidechanged', function () { if (!panel.hidden) renderPanel(); });
    }

    function togglePanel(force) {
      if (!panel) buildPanel();
      var open = typeof force === 'boolean' ? force : panel.hidden;
      if (open) renderPanel();
      panel.hidden = !open;
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
      var slides = deck.getSlidesElement();
      var scale = slides.getBoundingClientRect().width / (slides.offsetWidth || 1);
      scope.querySelectorAll('.slide-derivation').forEach(function (block) {
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
        onDeck('ready', function () { fitMarks(); });
        onDeck('slidechanged', function () { fitMarks(); });
        if (document.fonts && document.fonts.ready) document.fonts.ready.then(function () { fitMarks(); });
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
