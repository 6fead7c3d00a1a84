// pupitre's web remote. Plain ES2020, no build step, no outside resources.
// The contract with the server is docs/web-protocol.md.
'use strict';

(() => {
  // ---------------------------------------------------------------- texts
  const TEXTS = {
    en: {
      connecting: 'Connecting…', open: 'Live', closed: 'Offline',
      reconnecting: 'Reconnecting…', device: 'This browser:',
      logout: 'Forget this browser', 'logout-hint': 'Pairing again needs a new code from the desk.',
      mute: 'MUTE', solo: 'SOLO', stabilizer: 'Stream leveler', on: 'ON', off: 'OFF',
      loudness: 'Loudness', target: 'Target', fader: 'fader',
      scenes: 'Scenes', 'scene-hint': 'Tap twice to recall', 'scene-armed': 'Tap again to recall',
      'no-scenes': 'No scenes saved on the desk yet.', journal: 'Journal',
      'no-journal': 'Nothing has changed yet.', banks: 'Banks', strips: 'Strips',
      'fader-of': '{} fader', 'mute-of': 'Mute {}', 'solo-of': 'Solo {}',
      'lang-other': 'Français', page: 'page {} of {}', recalled: 'Scene {} recalled',
      'st:off': 'off', 'st:waiting': 'waiting', 'st:riding': 'riding', 'st:holding': 'holding',
      'st:paused': 'paused', 'st:calibrating': 'calibrating', 'st:listening': 'listening',
      'st:frozen': 'frozen', 'st:gated': 'gated', 'st:cut': 'emergency cut',
      'ln:online': 'online', 'ln:offline': 'offline', 'ln:connecting': 'connecting',
      'ln:syncing': 'syncing', 'ln:lost': 'lost',
    },
    fr: {
      connecting: 'Connexion…', open: 'En direct', closed: 'Hors ligne',
      reconnecting: 'Reconnexion…', device: 'Ce navigateur\u00a0:',
      logout: 'Oublier ce navigateur', 'logout-hint': 'Pour l’appairer de nouveau, il faudra un nouveau code de la console.',
      mute: 'MUET', solo: 'SOLO', stabilizer: 'Niveau du direct', on: 'MARCHE', off: 'ARRÊT',
      loudness: 'Sonie', target: 'Cible', fader: 'fader',
      scenes: 'Scènes', 'scene-hint': 'Deux touches pour rappeler', 'scene-armed': 'Touchez encore pour rappeler',
      'no-scenes': 'Aucune scène enregistrée sur la console.', journal: 'Journal',
      'no-journal': 'Rien n’a encore changé.', banks: 'Banques', strips: 'Tranches',
      'fader-of': 'Fader {}', 'mute-of': 'Couper {}', 'solo-of': 'Solo {}',
      'lang-other': 'English', page: 'page {} sur {}', recalled: 'Scène {} rappelée',
      'st:off': 'arrêt', 'st:waiting': 'en attente', 'st:riding': 'ajuste', 'st:holding': 'stable',
      'st:paused': 'en pause', 'st:calibrating': 'calibrage', 'st:listening': 'écoute',
      'st:frozen': 'gelé', 'st:gated': 'en attente : silence', 'st:cut': 'baisse d’urgence',
      'ln:online': 'en ligne', 'ln:offline': 'hors ligne', 'ln:connecting': 'connexion',
      'ln:syncing': 'synchro', 'ln:lost': 'perdu',
    },
  };
  const MIXER_NAMES = { x32: 'X32', camilla: 'CamillaDSP' };
  const LANG_KEY = 'pupitre.lang';

  let lang = 'en';
  const t = (key, ...args) => {
    let s = (TEXTS[lang] && TEXTS[lang][key]) ?? TEXTS.en[key] ?? key;
    for (const a of args) s = s.replace('{}', a);
    return s;
  };
  const tOr = (key, fallback) => (TEXTS[lang][key] ?? TEXTS.en[key] ?? fallback);

  function storedLang() {
    try { const v = localStorage.getItem(LANG_KEY); return v === 'en' || v === 'fr' ? v : null; } catch { return null; }
  }
  function browserLang() {
    for (const l of (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ''])) {
      const p = String(l).slice(0, 2).toLowerCase();
      if (p === 'fr' || p === 'en') return p;
    }
    return null;
  }
  function pickLang(deskLang) {
    return storedLang() || browserLang() || (deskLang === 'fr' ? 'fr' : deskLang === 'en' ? 'en' : lang);
  }

  // ---------------------------------------------------------------- helpers
  const $ = (sel, root = document) => root.querySelector(sel);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  };
  const clamp01 = (x) => (x < 0 ? 0 : x > 1 ? 1 : x);
  const f3 = (x) => (Math.round(x * 1000) / 1000).toFixed(3);
  const num1 = (x) => (x > 0 ? '+' : '') + Number(x).toFixed(1);
  const now = () => performance.now();
  const HOLD_MS = 300;

  // ---------------------------------------------------------------- state
  const S = {
    hello: null,
    strips: [],             // from hello, updated by `strip`
    master: null,           // the master strip's index
    banks: [],
    stab: null,
    scenes: [], current: 0,
    journal: [],
    links: {},
    device: '',
    levels: [], clip: new Set(),
    at: new Map(),          // strip index -> position in `strips` (and in `meters.levels`)
    pages: [],              // [{bank, page, label, strips: [..]}]
    pageIdx: 0,
    perPage: 4,
  };
  // Per shown strip: the DOM and the live fader state.
  const views = new Map(); // index -> view

  // ---------------------------------------------------------------- rendering batch
  const dirty = { strips: new Set(), meters: false, stab: false, scenes: false, journal: false, links: false, desk: false, texts: false };
  let frameAsked = false;
  function ask() {
    if (!frameAsked) { frameAsked = true; requestAnimationFrame(frame); }
  }
  function frame() {
    frameAsked = false;
    flushFaderSends();
    if (dirty.texts) {
      dirty.texts = false;
      renderTexts();
      for (const i of views.keys()) dirty.strips.add(i);
      dirty.stab = dirty.scenes = dirty.journal = dirty.links = true;
    }
    if (dirty.desk) { dirty.desk = false; buildDesk(); dirty.meters = true; }
    if (dirty.strips.size) { for (const i of dirty.strips) renderStrip(i); dirty.strips.clear(); }
    if (dirty.meters) { dirty.meters = false; renderMeters(); }
    if (dirty.stab) { dirty.stab = false; renderStab(); }
    if (dirty.scenes) { dirty.scenes = false; renderScenes(); }
    if (dirty.journal) { dirty.journal = false; renderJournal(); }
    if (dirty.links) { dirty.links = false; renderLinks(); }
    if (pendingSends.size) ask();
  }

  // ---------------------------------------------------------------- websocket
  let ws = null;
  let retry = 500;
  let retryTimer = 0;
  let lastHeard = 0;
  let pingTimer = 0;
  const linkEl = $('#link');

  function setLink(state) {
    linkEl.dataset.state = state;
    $('.txt', linkEl).dataset.t = state;
    $('.txt', linkEl).textContent = t(state);
    document.body.classList.toggle('offline', state !== 'open');
    $('#banner').hidden = state !== 'closed';
  }

  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(msg)); return true; }
    return false;
  }

  function connect() {
    clearTimeout(retryTimer);
    if (ws) return;
    setLink(linkEl.dataset.state === 'closed' ? 'closed' : 'connecting');
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    let sock;
    try { sock = new WebSocket(url); } catch { sock = null; }
    if (!sock) { failed(); return; }
    ws = sock;
    sock.onopen = () => {
      if (ws !== sock) return;
      lastHeard = now();
      setLink('open');
      retry = 500;
    };
    sock.onmessage = (ev) => {
      if (ws !== sock) return;
      lastHeard = now();
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      if (m && typeof m.type === 'string') handle(m);
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      ws = null;
      failed();
    };
    sock.onerror = () => { /* onclose follows */ };
  }

  function failed() {
    setLink('closed');
    pendingSends.clear();
    endAllDrags();
    // The token may have been revoked (forgotten from the desk): ask who we are.
    fetch('/session', { credentials: 'same-origin', cache: 'no-store' })
      .then((r) => { if (r.status === 401) location.assign('/login'); })
      .catch(() => {});
    const wait = retry;
    retry = Math.min(retry * 2, 5000);
    retryTimer = setTimeout(connect, wait);
  }

  // A dead wifi does not close a socket: ping, and give up when nothing comes back.
  pingTimer = setInterval(() => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (now() - lastHeard > 8000) { try { ws.close(4000, 'no answer'); } catch { /* */ } ws.onclose && ws.onclose(); return; }
    send({ type: 'ping' });
  }, 3000);

  // Back to the page (phone unlocked, tab shown, network back): reconnect now.
  const wake = () => { if (!ws && document.visibilityState === 'visible') { retry = 500; connect(); } };
  document.addEventListener('visibilitychange', wake);
  window.addEventListener('online', wake);

  // ---------------------------------------------------------------- messages
  function handle(m) {
    switch (m.type) {
      case 'hello': onHello(m); break;
      case 'strip': onStrip(m); break;
      case 'meters':
        if (Array.isArray(m.levels)) S.levels = m.levels;
        S.clip = new Set(Array.isArray(m.clip) ? m.clip : []);
        dirty.meters = true; ask(); break;
      case 'stabilizer':
        // The whole object; `{"type":"stabilizer","stabilizer":null}` (or no fields) when it goes away.
        S.stab = 'stabilizer' in m ? stabOf(m.stabilizer) : ('on' in m ? stabOf(m) : null);
        dirty.stab = true; ask(); break;
      case 'scenes':
        if (Array.isArray(m.scenes)) S.scenes = m.scenes;
        if (typeof m.current_scene === 'number') S.current = m.current_scene;
        dirty.scenes = true; ask(); break;
      case 'journal':
        if (Array.isArray(m.journal)) S.journal = m.journal;
        dirty.journal = true; ask(); break;
      case 'look': onLook(m); break;
      case 'links': S.links = m.links || {}; dirty.links = true; ask(); break;
      case 'notice': toast(String(m.message ?? '')); break;
      case 'pong': break;
      default: break;
    }
  }

  function stabOf(m) {
    if (m == null) return null;
    const s = Object.assign({}, m);
    delete s.type;
    return s;
  }

  function onHello(m) {
    S.hello = m;
    S.device = m.device || '';
    S.strips = Array.isArray(m.strips) ? m.strips.map((s) => Object.assign({}, s)) : [];
    S.master = null;
    S.at = new Map();
    S.strips.forEach((s, k) => { S.at.set(s.index, k); if (s.master) S.master = s.index; });
    S.banks = Array.isArray(m.banks) ? m.banks : [];
    S.stab = m.stabilizer ? stabOf(m.stabilizer) : null;
    S.scenes = Array.isArray(m.scenes) ? m.scenes : [];
    S.current = m.current_scene || 0;
    S.journal = Array.isArray(m.journal) ? m.journal : [];
    S.links = m.links || {};
    S.levels = [];
    S.clip = new Set();
    $('#device-name').textContent = S.device || '—';
    applyTheme(m.theme);
    setLang(pickLang(m.lang), false);
    makePages();
    dirty.desk = dirty.stab = dirty.scenes = dirty.journal = dirty.links = true;
    ask();
  }

  function onLook(m) {
    if (m.theme) applyTheme(m.theme);
    if (m.lang && !storedLang() && !browserLang()) setLang(pickLang(m.lang), false);
  }

  function byIndex(i) {
    const s = S.strips[i];
    if (s && s.index === i) return s;
    return S.strips.find((x) => x.index === i);
  }

  function onStrip(m) {
    const s = byIndex(m.index);
    if (!s) return;
    for (const k of ['db', 'muted', 'soloed', 'name', 'color']) if (k in m) s[k] = m[k];
    if ('fader' in m && typeof m.fader === 'number') {
      const v = views.get(m.index);
      if (v && (v.pointer != null || now() < v.holdUntil)) {
        v.stashed = m.fader; // the finger wins; applied when the hold ends
      } else {
        s.fader = m.fader;
        if (v) v.stashed = null;
      }
    }
    dirty.strips.add(m.index);
    ask();
  }

  // ---------------------------------------------------------------- language, theme
  function applyTheme(theme) {
    const th = theme === 'light' || theme === 'contrast' ? theme : 'dark';
    document.documentElement.dataset.theme = th;
    const meta = $('meta[name="theme-color"]');
    if (meta) meta.content = th === 'light' ? '#d9d9d4' : th === 'contrast' ? '#000000' : '#1b1c1e';
  }

  function setLang(l, remember) {
    lang = l === 'fr' ? 'fr' : 'en';
    document.documentElement.lang = lang;
    if (remember) { try { localStorage.setItem(LANG_KEY, lang); } catch { /* private mode */ } }
    dirty.texts = true;
    ask();
  }

  function renderTexts() {
    for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
    const lb = $('#lang');
    const other = lang === 'fr' ? 'en' : 'fr';
    lb.textContent = other.toUpperCase();
    lb.lang = other;
    lb.title = t('lang-other');
    lb.setAttribute('aria-label', t('lang-other'));
    $('#banks').setAttribute('aria-label', t('banks'));
    $('#desk').setAttribute('aria-label', t('strips'));
    renderBanks();
  }

  $('#lang').addEventListener('click', () => setLang(lang === 'fr' ? 'en' : 'fr', true));

  // ---------------------------------------------------------------- banks and pages
  const wide = window.matchMedia('(min-width: 600px)');

  function pageLabel(bank, k, n, chunk) {
    if (n === 1) return bank.label;
    const m = /^(.*?)(\d+)\s*[–-]\s*(\d+)\s*$/.exec(bank.label || '');
    if (m) {
      const a = parseInt(m[2], 10), b = parseInt(m[3], 10);
      if (b - a + 1 === bank.strips.length) {
        const first = a + k * S.perPage;
        const last = first + chunk.length - 1;
        return first === last ? `${m[1]}${first}` : `${m[1]}${first}–${last}`;
      }
    }
    return `${bank.label} ${k + 1}/${n}`;
  }

  function makePages() {
    const shownBefore = S.pages[S.pageIdx];
    const anchor = shownBefore ? shownBefore.strips[0] : undefined;
    const bankBefore = shownBefore ? shownBefore.bank : 0;
    S.perPage = wide.matches ? 8 : 4;
    S.pages = [];
    S.banks.forEach((bank, b) => {
      const list = (bank.strips || []).filter((i) => i !== S.master && byIndex(i));
      const n = Math.max(1, Math.ceil(list.length / S.perPage));
      for (let k = 0; k < n; k++) {
        const chunk = list.slice(k * S.perPage, (k + 1) * S.perPage);
        S.pages.push({ bank: b, page: k, pages: n, strips: chunk, label: pageLabel(bank, k, n, chunk) });
      }
    });
    if (!S.pages.length) {
      // No banks from the server: page through every strip in order.
      const list = S.strips.filter((s) => !s.master).map((s) => s.index);
      for (let k = 0; k * S.perPage < list.length; k++) {
        const chunk = list.slice(k * S.perPage, (k + 1) * S.perPage);
        S.pages.push({ bank: k, page: 0, pages: 1, strips: chunk, label: `${k * S.perPage + 1}–${k * S.perPage + chunk.length}` });
      }
    }
    let idx = S.pages.findIndex((p) => anchor !== undefined && p.bank === bankBefore && p.strips.includes(anchor));
    if (idx < 0) idx = S.pages.findIndex((p) => p.bank === bankBefore);
    S.pageIdx = Math.max(0, idx);
    renderBanks();
  }

  function renderBanks() {
    const nav = $('#banks');
    nav.textContent = '';
    S.pages.forEach((p, i) => {
      const b = el('button', 'bank', p.label);
      b.type = 'button';
      b.dataset.bank = String(p.bank);
      b.dataset.page = String(p.page);
      if (p.pages > 1) b.title = t('page', p.page + 1, p.pages);
      if (i === S.pageIdx) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', () => showPage(i));
      nav.appendChild(b);
    });
    const cur = nav.children[S.pageIdx];
    if (cur && cur.scrollIntoView) cur.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  function showPage(i) {
    if (i === S.pageIdx || !S.pages[i]) return;
    S.pageIdx = i;
    renderBanks();
    dirty.desk = true;
    ask();
  }

  wide.addEventListener('change', () => {
    if (!S.hello) return;
    makePages();
    dirty.desk = true;
    ask();
  });

  // Swipe across the bank row's buttons is native scrolling; the arrow keys page on a desktop.
  document.addEventListener('keydown', (e) => {
    if (e.target && e.target.closest && e.target.closest('.fader, input, textarea')) return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === '[' ) showPage(Math.max(0, S.pageIdx - 1));
    else if (e.key === ']') showPage(Math.min(S.pages.length - 1, S.pageIdx + 1));
  });

  // ---------------------------------------------------------------- strips
  const stripsBox = $('#strips');
  const masterBox = $('#master-slot');

  const sizer = new ResizeObserver((entries) => {
    for (const en of entries) {
      const v = en.target._view;
      if (!v) continue;
      measure(v);
      placeCap(v);
    }
  });

  function buildDesk() {
    for (const v of views.values()) { sizer.unobserve(v.fader); endDrag(v); }
    views.clear();
    stripsBox.textContent = '';
    masterBox.textContent = '';
    const page = S.pages[S.pageIdx];
    stripsBox.dataset.count = String(S.perPage);
    if (page) for (const i of page.strips) stripsBox.appendChild(buildStrip(byIndex(i)));
    // Keep the master in the same place when a page is short.
    const empty = page ? S.perPage - page.strips.length : 0;
    for (let k = 0; k < empty; k++) stripsBox.appendChild(el('div', 'strip filler'));
    if (S.master != null) masterBox.appendChild(buildStrip(byIndex(S.master)));
    masterBox.hidden = S.master == null;
  }

  function buildStrip(s) {
    const root = el('div', 'strip');
    root.dataset.index = String(s.index);
    if (s.master) root.classList.add('master');

    const head = el('div', 'head');
    const kind = el('span', 'kind', s.kind || '');
    const name = el('span', 'name');
    head.append(kind, name);

    const btns = el('div', 'btns');
    let mute = null, solo = null;
    if (s.mute) {
      mute = el('button', 'mute');
      mute.type = 'button';
      mute.addEventListener('click', () => {
        const cur = byIndex(s.index);
        send({ type: 'mute', index: s.index, on: !cur.muted });
      });
      btns.appendChild(mute);
    } else btns.appendChild(el('span', 'btn-gap'));
    if (s.solo) {
      solo = el('button', 'solo');
      solo.type = 'button';
      solo.addEventListener('click', () => {
        const cur = byIndex(s.index);
        send({ type: 'solo', index: s.index, on: !cur.soloed });
      });
      btns.appendChild(solo);
    } else btns.appendChild(el('span', 'btn-gap'));

    const body = el('div', 'body');
    const fader = el('div', 'fader');
    fader.tabIndex = 0;
    fader.setAttribute('role', 'slider');
    fader.setAttribute('aria-orientation', 'vertical');
    fader.setAttribute('aria-valuemin', '0');
    fader.setAttribute('aria-valuemax', '1');
    const scale = el('div', 'scale');
    scale.setAttribute('aria-hidden', 'true');
    for (const mk of Array.isArray(s.marks) ? s.marks : []) {
      const [p, label] = mk;
      const m = el('span', 'mark');
      if (Math.abs(p - (s.unity ?? -1)) < 1e-6) m.classList.add('unity');
      m.style.setProperty('--p', String(clamp01(p)));
      m.appendChild(el('span', 'tick'));
      m.appendChild(el('span', 'lbl', label));
      scale.appendChild(m);
    }
    const slot = el('div', 'slot');
    slot.setAttribute('aria-hidden', 'true');
    const cap = el('div', 'cap');
    cap.setAttribute('aria-hidden', 'true');
    fader.append(scale, slot, cap);
    body.appendChild(fader);

    let meter = null, cover = null, peak = null, clip = null;
    if (s.meter) {
      meter = el('div', 'meter');
      meter.setAttribute('aria-hidden', 'true');
      meter.dataset.level = '0.000';
      clip = el('div', 'clip');
      const well = el('div', 'well');
      const bar = el('div', 'bar');
      cover = el('div', 'cover');
      peak = el('div', 'peak');
      well.append(bar, cover, peak, el('div', 'segs'));
      meter.append(clip, well);
      body.appendChild(meter);
    }

    const db = el('div', 'db');
    root.append(head, btns, body, db);

    const v = {
      index: s.index, root, head, name, kind, mute, solo, fader, cap, db, meter, cover, peak, clip,
      travel: 0, capH: 0, pos: clamp01(s.fader ?? 0), shownPos: -1,
      pointer: null, startY: 0, startPos: 0, moved: 0, lastTap: 0, lastTapY: 0,
      holdUntil: 0, stashed: null, holdTimer: 0,
      level: -1, peakVal: 0, peakAt: 0, clipOn: null, levelShown: -1, peakShown: -1,
    };
    fader._view = v;
    attachFader(v);
    views.set(s.index, v);
    sizer.observe(fader);
    renderStrip(s.index);
    return root;
  }

  function readableOn(hex) {
    const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || '');
    if (!m) return null;
    const [r, g, b] = [m[1], m[2], m[3]].map((x) => parseInt(x, 16) / 255);
    const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    return lum > 0.45 ? '#101010' : '#f4f4f4';
  }

  function renderStrip(i) {
    const v = views.get(i);
    const s = byIndex(i);
    if (!v || !s) return;
    const label = s.name || s.kind || '';
    v.name.textContent = label;
    v.kind.textContent = s.kind || '';
    const fg = readableOn(s.color);
    if (fg) {
      v.head.style.setProperty('--scribble', s.color);
      v.head.style.setProperty('--scribble-text', fg);
      v.head.classList.add('colored');
    } else {
      v.head.style.removeProperty('--scribble');
      v.head.style.removeProperty('--scribble-text');
      v.head.classList.remove('colored');
    }
    if (v.mute) {
      v.mute.textContent = t('mute');
      v.mute.setAttribute('aria-pressed', s.muted ? 'true' : 'false');
      v.mute.title = t('mute-of', label);
    }
    if (v.solo) {
      v.solo.textContent = t('solo');
      v.solo.setAttribute('aria-pressed', s.soloed ? 'true' : 'false');
      v.solo.title = t('solo-of', label);
    }
    v.root.classList.toggle('is-muted', !!s.muted);
    v.fader.setAttribute('aria-label', t('fader-of', label));
    if (v.pointer == null && now() >= v.holdUntil) v.pos = clamp01(s.fader ?? 0);
    v.db.textContent = s.db ?? '';
    v.fader.setAttribute('aria-valuetext', s.db ?? '');
    placeCap(v);
  }

  function measure(v) {
    const h = v.fader.clientHeight;
    v.capH = v.cap.offsetHeight;
    v.travel = h > 0 ? Math.max(1, h - v.capH) : 0; // 0: not laid out yet, measure again later
    v.shownPos = -1;
  }

  function placeCap(v) {
    if (!v.travel && v.fader.isConnected) measure(v);
    const p = clamp01(v.pos);
    if (p !== v.shownPos) {
      v.shownPos = p;
      v.cap.style.transform = `translate3d(0, ${((1 - p) * v.travel).toFixed(2)}px, 0)`;
    }
    const txt = f3(p);
    if (v.fader.dataset.pos !== txt) {
      v.fader.dataset.pos = txt;
      v.fader.setAttribute('aria-valuenow', txt);
    }
  }

  // ---------------------------------------------------------------- fader gestures
  const pendingSends = new Map(); // index -> pos

  function queueSend(v) {
    pendingSends.set(v.index, clamp01(v.pos));
    ask();
  }
  function flushFaderSends() {
    for (const [index, pos] of pendingSends) send({ type: 'fader', index, pos: Math.round(pos * 10000) / 10000 });
    pendingSends.clear();
  }

  function setLocal(v, pos) {
    v.pos = clamp01(pos);
    const s = byIndex(v.index);
    if (s) s.fader = v.pos;
    placeCap(v);
    queueSend(v);
  }

  function hold(v) {
    v.holdUntil = now() + HOLD_MS;
    clearTimeout(v.holdTimer);
    v.holdTimer = setTimeout(() => {
      if (v.pointer != null) return;
      if (v.stashed != null) {
        const s = byIndex(v.index);
        if (s) s.fader = v.stashed;
        v.stashed = null;
        dirty.strips.add(v.index);
        ask();
      }
    }, HOLD_MS + 10);
  }

  function attachFader(v) {
    const f = v.fader;
    f.addEventListener('pointerdown', (e) => {
      if (e.pointerType === 'mouse' && e.button !== 0) return;
      // A new finger takes the fader over: a lost pointer must never leave it stuck.
      if (v.pointer != null && v.pointer !== e.pointerId) {
        try { f.releasePointerCapture(v.pointer); } catch { /* */ }
      }
      e.preventDefault();
      try { f.setPointerCapture(e.pointerId); } catch { /* */ }
      measure(v);
      v.pointer = e.pointerId;
      v.startY = e.clientY;
      v.startPos = v.pos;
      v.moved = 0;
      v.stashed = null;
      v.root.classList.add('touching');
      if (document.activeElement !== f) f.focus({ preventScroll: true });
    });
    f.addEventListener('pointermove', (e) => {
      if (e.pointerId !== v.pointer) return;
      const dy = e.clientY - v.startY;
      v.moved = Math.max(v.moved, Math.abs(dy));
      if (v.moved < 2 || !v.travel) return;           // a tap is not a move
      setLocal(v, v.startPos - dy / v.travel);
    });
    const up = (e) => {
      if (e.pointerId !== v.pointer) return;
      v.pointer = null;
      v.root.classList.remove('touching');
      hold(v);
      if (e.type === 'pointerup' && v.moved < 8) {
        const tNow = now();
        if (tNow - v.lastTap < 350 && Math.abs(e.clientY - v.lastTapY) < 30) {
          v.lastTap = 0;
          const s = byIndex(v.index);
          if (s && typeof s.unity === 'number') setLocal(v, s.unity);
          hold(v);
        } else {
          v.lastTap = tNow;
          v.lastTapY = e.clientY;
        }
      } else v.lastTap = 0;
    };
    f.addEventListener('pointerup', up);
    f.addEventListener('pointercancel', up);
    f.addEventListener('lostpointercapture', up);
    f.addEventListener('contextmenu', (e) => e.preventDefault());
    f.addEventListener('keydown', (e) => {
      const steps = { ArrowUp: 0.01, ArrowRight: 0.01, ArrowDown: -0.01, ArrowLeft: -0.01, PageUp: 0.1, PageDown: -0.1 };
      const d = steps[e.key];
      if (d === undefined) return;
      e.preventDefault();
      setLocal(v, Math.round((v.pos + d) * 1000) / 1000);
      hold(v);
    });
  }

  function endDrag(v) {
    clearTimeout(v.holdTimer);
    v.pointer = null;
    v.root.classList.remove('touching');
  }
  function endAllDrags() {
    for (const v of views.values()) if (v.pointer != null) { endDrag(v); hold(v); }
  }
  document.addEventListener('visibilitychange', () => { if (document.visibilityState !== 'visible') endAllDrags(); });
  window.addEventListener('blur', endAllDrags);

  // ---------------------------------------------------------------- meters
  const PEAK_HOLD_MS = 1500;
  const PEAK_FALL = 0.5; // per second, after the hold

  function renderMeters() {
    const tNow = now();
    for (const v of views.values()) {
      if (!v.meter) continue;
      const raw = S.levels[S.at.get(v.index)];
      const lv = typeof raw === 'number' ? clamp01(raw) : 0;
      if (lv !== v.levelShown) {
        v.levelShown = lv;
        v.cover.style.transform = `scaleY(${(1 - lv).toFixed(4)})`;
        v.meter.dataset.level = f3(lv);
      }
      // The peak line holds, then falls.
      const dt = v.lastFrame ? (tNow - v.lastFrame) / 1000 : 0;
      v.lastFrame = tNow;
      if (lv >= v.peakVal) { v.peakVal = lv; v.peakAt = tNow; }
      else if (tNow - v.peakAt > PEAK_HOLD_MS) v.peakVal = Math.max(lv, v.peakVal - PEAK_FALL * dt);
      if (Math.abs(v.peakVal - v.peakShown) > 0.002) {
        v.peakShown = v.peakVal;
        v.peak.style.transform = `translate3d(0, ${((1 - v.peakVal) * 100).toFixed(2)}%, 0)`;
        v.peak.classList.toggle('lit', v.peakVal > 0.01);
      }
      const c = S.clip.has(v.index);
      if (c !== v.clipOn) { v.clipOn = c; v.clip.classList.toggle('on', c); }
    }
  }

  // ---------------------------------------------------------------- stabilizer
  const stab = {
    box: $('#stab'), on: $('#stab-on'), status: $('#stab-status'), source: $('#stab-source'),
    gain: $('#stab-gain'), loud: $('#stab-loudness'), target: $('#stab-target'),
    minus: $('#stab-minus'), plus: $('#stab-plus'), presets: $('#stab-presets'),
    fill: $('#stab-bar .lfill'), mark: $('#stab-bar .ltarget'),
    sent: null, sentAt: 0, presetKey: '',
  };
  const lpos = (l) => {
    const lo = S.stab && typeof S.stab.min === 'number' ? S.stab.min : -40;
    const hi = S.stab && typeof S.stab.max === 'number' && S.stab.max > lo ? S.stab.max : -5;
    return clamp01((l - lo) / (hi - lo));
  };

  function statusKey(word) {
    const w = String(word || '').toLowerCase();
    if (TEXTS.en['st:' + w]) return 'st:' + w;
    if (w.startsWith('gated')) return 'st:gated';
    if (w.startsWith('frozen')) return 'st:frozen';
    if (w.startsWith('paused')) return 'st:paused';
    if (w.includes('cut')) return 'st:cut';
    return null;
  }

  function renderStab() {
    const s = S.stab;
    stab.box.hidden = !s;
    if (!s) return;
    stab.on.setAttribute('aria-pressed', s.on ? 'true' : 'false');
    stab.on.dataset.t = s.on ? 'on' : 'off';
    stab.on.textContent = t(s.on ? 'on' : 'off');
    const key = statusKey(s.status);
    stab.status.textContent = key ? t(key) : String(s.status ?? '—');
    stab.status.dataset.status = String(s.status ?? '');
    stab.source.textContent = s.source || '—';
    stab.gain.textContent = typeof s.gain_db === 'number' ? `${num1(s.gain_db)} dB` : '—';
    stab.loud.textContent = typeof s.loudness === 'number' ? `${Number(s.loudness).toFixed(1)} LUFS` : '—';
    stab.target.textContent = typeof s.target === 'number' ? `${Number(s.target).toFixed(1)} LUFS` : '—';
    const lp = typeof s.loudness === 'number' ? lpos(s.loudness) : 0;
    stab.fill.style.transform = `scaleX(${lp.toFixed(4)})`;
    const off = typeof s.loudness === 'number' && typeof s.target === 'number' ? Math.abs(s.loudness - s.target) : 99;
    stab.fill.dataset.zone = off <= 2 ? 'ok' : off <= 5 ? 'near' : 'far';
    if (typeof s.target === 'number') stab.mark.style.left = `${(lpos(s.target) * 100).toFixed(2)}%`;
    stab.minus.disabled = typeof s.target !== 'number' || s.target <= s.min;
    stab.plus.disabled = typeof s.target !== 'number' || s.target >= s.max;
    const presets = Array.isArray(s.presets) ? s.presets : [];
    const pk = presets.join(',');
    if (pk !== stab.presetKey) {
      stab.presetKey = pk;
      stab.presets.textContent = '';
      for (const p of presets) {
        const b = el('button', 'preset', String(p));
        b.type = 'button';
        b.dataset.lufs = String(p);
        b.addEventListener('click', () => sendTarget(Number(p)));
        stab.presets.appendChild(b);
      }
    }
    for (const b of stab.presets.children) {
      const on = typeof s.target === 'number' && Math.abs(Number(b.dataset.lufs) - s.target) < 0.05;
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
  }

  function sendTarget(lufs) {
    const s = S.stab;
    if (!s) return;
    const v = Math.min(s.max ?? lufs, Math.max(s.min ?? lufs, lufs));
    if (send({ type: 'target', lufs: Math.round(v * 100) / 100 })) { stab.sent = v; stab.sentAt = now(); }
  }
  function stepTarget(sign) {
    const s = S.stab;
    if (!s || typeof s.target !== 'number') return;
    // Quick taps add up even before the server's answer comes back.
    const base = stab.sent != null && now() - stab.sentAt < 1000 ? stab.sent : s.target;
    sendTarget(base + sign * (s.step || 0.5));
  }
  stab.minus.addEventListener('click', () => stepTarget(-1));
  stab.plus.addEventListener('click', () => stepTarget(1));
  stab.on.addEventListener('click', () => { if (S.stab) send({ type: 'stabilizer', on: !S.stab.on }); });

  // ---------------------------------------------------------------- scenes
  const scenesBox = $('#scenes');
  let armed = null; // {slot, timer}

  function disarm() {
    if (!armed) return;
    clearTimeout(armed.timer);
    armed = null;
    dirty.scenes = true;
    ask();
  }

  function renderScenes() {
    scenesBox.textContent = '';
    if (!S.scenes.length) {
      scenesBox.appendChild(el('p', 'empty', t('no-scenes')));
      return;
    }
    for (const sc of S.scenes) {
      const b = el('button', 'scene');
      b.type = 'button';
      b.dataset.slot = String(sc.slot);
      b.append(el('span', 'slot-no', String(sc.slot)), el('span', 'scene-name', sc.name || '—'));
      const isArmed = armed && armed.slot === sc.slot;
      if (isArmed) {
        b.dataset.armed = 'true';
        b.appendChild(el('span', 'arm-hint', t('scene-armed')));
      }
      if (sc.slot === S.current) { b.setAttribute('aria-current', 'true'); b.classList.add('current'); }
      b.addEventListener('click', () => {
        if (armed && armed.slot === sc.slot) {
          disarm();
          send({ type: 'scene', slot: sc.slot });
        } else {
          if (armed) clearTimeout(armed.timer);
          armed = { slot: sc.slot, timer: setTimeout(disarm, 3000) };
          dirty.scenes = true;
          ask();
        }
      });
      scenesBox.appendChild(b);
    }
  }

  // ---------------------------------------------------------------- journal
  function renderJournal() {
    const box = $('#journal');
    box.textContent = '';
    const list = S.journal.slice().reverse();
    const empty = $('#journal-empty');
    empty.textContent = t('no-journal');
    empty.hidden = list.length > 0;
    for (const j of list) {
      const li = el('li');
      const top = el('div', 'j-top');
      top.append(el('time', 'j-at', j.at ?? ''), el('span', 'j-origin', j.origin ?? ''));
      li.append(top, el('div', 'j-what', j.what ?? ''), el('div', 'j-change', j.change ?? ''));
      box.appendChild(li);
    }
  }

  // ---------------------------------------------------------------- mixers' links
  function renderLinks() {
    const box = $('#mixers');
    box.textContent = '';
    for (const [name, state] of Object.entries(S.links || {})) {
      const item = el('span', 'mixer');
      item.dataset.mixer = name;
      item.dataset.state = String(state);
      const label = MIXER_NAMES[name] || name;
      const word = tOr('ln:' + state, String(state));
      item.title = `${label} ${word}`;
      item.append(el('span', 'dot'), el('span', 'mx-name', label), el('span', 'mx-state', word));
      box.appendChild(item);
    }
  }

  // ---------------------------------------------------------------- toast
  let toastTimer = 0;
  function toast(msg) {
    const box = $('#toast');
    box.textContent = msg;
    box.hidden = false;
    box.classList.remove('show');
    void box.offsetWidth; // restart the fade
    box.classList.add('show');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.classList.remove('show'); toastTimer = setTimeout(() => { box.hidden = true; }, 300); }, 4500);
  }
  $('#toast').addEventListener('click', () => { $('#toast').hidden = true; });

  // Close the header menu when tapping elsewhere.
  document.addEventListener('pointerdown', (e) => {
    const menu = $('#menu');
    if (menu.open && !menu.contains(e.target)) menu.open = false;
  });

  // ---------------------------------------------------------------- start
  setLang(pickLang(null), false);
  setLink('connecting');
  connect();
})();
