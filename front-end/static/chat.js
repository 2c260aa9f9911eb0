// chat.js — the browser side of /chat (docs/frontend.md "Chat page").
// Plain script, no library.  It asks the front end for a single-use
// ticket (POST /chat/ticket, CSRF token), opens the chat servers'
// WebSocket, says HELLO with the ticket and the `meta` and `error`
// features, and then shows one lab-protocol JSON object per message.
// Reconnects with capped exponential backoff and a fresh ticket each time;
// messages carry an `id` (meta), so the history replayed after a reconnect
// adds only what was missed.
'use strict';

(function () {
  var root = document.getElementById('chat');
  if (!root) return;

  var WS_URL = root.getAttribute('data-ws');
  var ME = root.getAttribute('data-name');
  var ME_KEY = ME.toLowerCase();
  var HISTORY_KEEP = 500;     // messages kept per room in the page
  var BACKOFF_MIN = 1000, BACKOFF_MAX = 30000;

  var el = {
    log: document.getElementById('log'),
    status: document.getElementById('status'),
    statusText: document.getElementById('status-text'),
    reconnect: document.getElementById('reconnect'),
    send: document.getElementById('send'),
    message: document.getElementById('message'),
    join: document.getElementById('join'),
    room: document.getElementById('room'),
    roomName: document.getElementById('room-name'),
    who: document.getElementById('who'),
    whoCount: document.getElementById('who-count'),
    rooms: document.getElementById('rooms'),
    csrf: document.querySelector('#ticket input[name="csrf_token"]')
  };

  var ws = null;
  var room = 'lobby';         // the room we are in (or going back to)
  var rejoin = null;          // after a reconnect: the room to go back to
  var logs = {};              // room -> array of <li>
  var seen = {};              // message id -> true
  var pending = [];           // own messages not yet seen in a history
  var who = [];               // names in the room
  var roomList = [];          // [{name, count}]
  var quiet = { rooms: 0, who: 0 };  // answers to our own silent commands
  var attempt = 0, timer = null, roomsTimer = null, stopped = false;
  var everConnected = false;
  var welcomed = false;       // this connection got its WELCOME

  // ---- status ----------------------------------------------------------
  function setState(state, text, canRetry) {
    el.status.setAttribute('data-state', state);
    el.statusText.textContent = text;
    el.reconnect.hidden = !canRetry;
    var up = state === 'connected';
    el.message.disabled = !up;
    el.room.disabled = !up;
    el.send.querySelector('button').disabled = !up;
    el.join.querySelector('button').disabled = !up;
    root.setAttribute('data-state', state);
  }

  // ---- rendering -------------------------------------------------------
  function two(n) { return (n < 10 ? '0' : '') + n; }

  function timeOf(ts) {
    var d = ts ? new Date(ts) : new Date();
    return two(d.getHours()) + ':' + two(d.getMinutes());
  }

  function isMention(text) {
    var t = text.toLowerCase(), i = 0, j, before, after;
    var word = /[\p{L}\p{N}_]/u;
    while ((j = t.indexOf(ME_KEY, i)) !== -1) {
      before = j > 0 ? t.charAt(j - 1) : '';
      after = t.charAt(j + ME_KEY.length);
      if ((!before || !word.test(before)) && (!after || !word.test(after)))
        return j;
      i = j + 1;
    }
    return -1;
  }

  // The text with each mention of our name in a <mark>.
  function textWithMentions(node, text) {
    var t = text, at;
    while ((at = isMention(t)) !== -1) {
      node.appendChild(document.createTextNode(t.slice(0, at)));
      var m = document.createElement('mark');
      m.textContent = t.substr(at, ME.length);
      node.appendChild(m);
      t = t.slice(at + ME.length);
    }
    node.appendChild(document.createTextNode(t));
  }

  // kind: 'msg' (someone's), 'own', 'server', 'error', 'private'
  function makeItem(kind, from, text, ts) {
    var li = document.createElement('li');
    li.className = 'm m-' + kind;
    var time = document.createElement('time');
    time.textContent = timeOf(ts);
    if (ts) time.dateTime = new Date(ts).toISOString();
    li.appendChild(time);
    if (from) {
      var fromEl = document.createElement('span');
      fromEl.className = 'from' + (from === ME ? ' me' : '');
      fromEl.textContent = from + (kind === 'private' ? ' (private)' : '');
      li.appendChild(fromEl);
    }
    var body = document.createElement('span');
    body.className = 'text';
    if (kind === 'msg' || kind === 'private') {
      if (isMention(text) !== -1) {
        li.classList.add('mention');
        var sr = document.createElement('span');
        sr.className = 'sr-only';
        sr.textContent = 'mentions you: ';
        li.appendChild(sr);
      }
      textWithMentions(body, text);
    } else {
      body.textContent = text;
    }
    li.appendChild(body);
    return li;
  }

  function add(r, li) {
    var list = logs[r] || (logs[r] = []);
    list.push(li);
    if (list.length > HISTORY_KEEP) {
      var old = list.shift();
      if (old.parentNode) old.parentNode.removeChild(old);
    }
    if (r === room) {
      var stick = el.log.scrollTop + el.log.clientHeight >=
          el.log.scrollHeight - 40;
      el.log.appendChild(li);
      if (stick) el.log.scrollTop = el.log.scrollHeight;
    }
  }

  function notice(text, kind) {
    add(room, makeItem(kind || 'server', null, text, 0));
  }

  function showRoom(r) {
    room = r;
    el.roomName.textContent = r;
    document.title = r + ' · Chat · Parley';
    el.log.setAttribute('aria-label', 'Messages in ' + r);
    el.log.replaceChildren.apply(el.log, logs[r] || []);
    el.log.scrollTop = el.log.scrollHeight;
    renderRooms();
  }

  function renderWho() {
    var items = who.slice().sort(function (a, b) {
      return a.toLowerCase() < b.toLowerCase() ? -1 : 1;
    }).map(function (n) {
      var li = document.createElement('li');
      li.textContent = n;
      if (n === ME) {
        li.className = 'me';
        var sr = document.createElement('span');
        sr.className = 'sr-only';
        sr.textContent = ' (you)';
        li.appendChild(sr);
      }
      return li;
    });
    el.who.replaceChildren.apply(el.who, items);
    el.whoCount.textContent = '(' + who.length + ')';
    // The room list's count of this room follows presence too.
    for (var i = 0; i < roomList.length; i++)
      if (roomList[i].name === room && roomList[i].count !== who.length) {
        roomList[i].count = who.length;
        renderRooms();
      }
  }

  function renderRooms() {
    var names = roomList.map(function (x) { return x.name; });
    if (names.indexOf(room) === -1) roomList.push({ name: room, count: 0 });
    roomList.sort(function (a, b) { return a.name < b.name ? -1 : 1; });
    var items = roomList.map(function (x) {
      var li = document.createElement('li');
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'room-btn';
      b.textContent = x.name;
      if (x.count) {
        var c = document.createElement('span');
        c.className = 'count';
        c.textContent = ' ' + x.count;
        c.setAttribute('aria-label', x.count + ' here');
        b.appendChild(c);
      }
      if (x.name === room) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', function () { goTo(x.name); });
      li.appendChild(b);
      return li;
    });
    el.rooms.replaceChildren.apply(el.rooms, items);
  }

  // ---- presence, from the SERVER lines ---------------------------------
  function names(list) {
    list = list.replace(/ and \d+ more$/, '');
    return list === '' ? [] : list.split(', ');
  }

  function addWho(n) {
    if (who.indexOf(n) === -1) { who.push(n); renderWho(); }
  }

  function dropWho(n) {
    var i = who.indexOf(n);
    if (i !== -1 && n !== ME) { who.splice(i, 1); renderWho(); }
  }

  // Updates presence from a SERVER line; true: do not show it.
  function serverLine(text) {
    var m;
    if ((m = /^CONNECTED USERS: (.*)$/.exec(text))) {
      if (rejoin && rejoin !== 'lobby') {
        sendRaw('/join ' + rejoin);
        return true;
      }
      rejoin = null;
      showRoom('lobby');
      who = names(m[1]); renderWho();
      return false;
    }
    if ((m = /^SERVER: you are now in (\S+) with: (.*)$/.exec(text))) {
      rejoin = null;
      showRoom(m[1]);
      who = names(m[2]); renderWho();
      return false;
    }
    if ((m = /^SERVER: rooms:(.*)$/.exec(text))) {
      roomList = [];
      m[1].replace(/ (\S+) \((\d+)\)/g, function (_, n, c) {
        roomList.push({ name: n, count: +c });
      });
      renderRooms();
      if (quiet.rooms > 0) { quiet.rooms--; return true; }
      return false;
    }
    if ((m = /^SERVER: users in (\S+): (.*)$/.exec(text))) {
      if (m[1] === room) { who = names(m[2]); renderWho(); }
      if (quiet.who > 0) { quiet.who--; return true; }
      return false;
    }
    if ((m = /^SERVER: (\S+) (is now online|joined the room)$/.exec(text)))
      addWho(m[1]);
    else if ((m = /^SERVER: (\S+) left the (chat|room)$/.exec(text)))
      dropWho(m[1]);
    else if ((m = /^SERVER: (\S+) is now known as (\S+)$/.exec(text))) {
      dropWho(m[1]); addWho(m[2]);
    }
    return false;
  }

  // ---- what the server sends -------------------------------------------
  function onChat(f) {
    var r = f.room || room;
    var from = f.from || null;
    var content = typeof f.content === 'string' ? f.content : '';
    if (from === 'SERVER' || from === null) {
      if (f.history) return;
      if (serverLine(content)) return;
      if (rejoin) return;   // lobby chatter on the way back to our room
      add(room, makeItem('server', null, content.replace(/^SERVER: /, ''),
          f.ts));
      return;
    }
    if (f.id) {
      if (seen[f.id]) return;
      seen[f.id] = true;
    }
    var prefix = from + (f['private'] ? ' (private): ' : ': ');
    var text = content.indexOf(prefix) === 0 ?
        content.slice(prefix.length) : content;
    if (from === ME && f.history) {
      // Our own line, shown when we sent it: drop the replay.
      for (var i = 0; i < pending.length; i++)
        if (pending[i].room === r && pending[i].text === text) {
          pending[i].li.classList.remove('pending');
          pending.splice(i, 1);
          return;
        }
    }
    var kind = f['private'] ? 'private' : from === ME ? 'own' : 'msg';
    add(f['private'] ? room : r, makeItem(kind, from, text, f.ts));
  }

  function onFrame(f) {
    switch (f.type) {
      case 'WELCOME':
        welcomed = true;
        attempt = 0;
        everConnected = true;
        setState('connected', 'Connected as ' + ME, false);
        refreshRooms();
        break;
      case 'CHAT':
        onChat(f);
        break;
      case 'ERROR':
        if (!welcomed) {
          // The ticket was refused (expired, used, session ended, or
          // accounts are unavailable): start again with a fresh one.
          notice(f.content || 'Could not sign in to the chat.', 'error');
          ws.close(1000);
          return;
        }
        notice(f.content || 'Error', 'error');
        break;
      case 'PING':
        sendJSON({ type: 'PONG' });
        break;
      case 'BYE':
        stopped = true;
        notice(f.content || 'You left the chat.');
        break;
    }
  }

  // ---- sending ---------------------------------------------------------
  function sendJSON(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  function sendRaw(text) {
    return sendJSON({ type: 'CHAT', content: text });
  }

  function refreshRooms() {
    if (sendRaw('/rooms')) quiet.rooms++;
  }

  function goTo(name) {
    name = name.trim().toLowerCase();
    if (!/^[a-z0-9_-]{1,32}$/.test(name)) {
      notice('Room names are 1 to 32 letters, digits, - or _.', 'error');
      return;
    }
    if (name === room) return;
    sendRaw('/join ' + name);
  }

  el.send.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = el.message.value;
    if (text.trim() === '') return;
    if (!sendRaw(text)) return;
    el.message.value = '';
    var j = /^\/join\s+(\S+)\s*$/.exec(text);
    if (j) return;   // the server answers "you are now in ..."
    var pm = /^\/msg\s+(\S+)\s+([\s\S]+)$/.exec(text);
    if (pm) {
      add(room, makeItem('own', 'to ' + pm[1] + ' (private)', pm[2],
          Date.now()));
      return;
    }
    if (text.charAt(0) === '/' || text.charAt(0) === '#') return;
    var li = makeItem('own', ME, text, Date.now());
    li.classList.add('pending');
    pending.push({ room: room, text: text, li: li });
    if (pending.length > HISTORY_KEEP) pending.shift();
    add(room, li);
  });

  el.join.addEventListener('submit', function (e) {
    e.preventDefault();
    goTo(el.room.value);
    el.room.value = '';
    el.message.focus();
  });

  el.reconnect.addEventListener('click', function () {
    attempt = 0;
    connect();
  });

  // Alt+Up / Alt+Down: previous / next room in the list.
  document.addEventListener('keydown', function (e) {
    if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
    var i = roomList.map(function (x) { return x.name; }).indexOf(room);
    var n = roomList[i + (e.key === 'ArrowUp' ? -1 : 1)];
    if (n) { e.preventDefault(); goTo(n.name); }
  });

  // ---- the connection --------------------------------------------------
  var tick = null;

  function later() {
    clearTimeout(timer);
    clearInterval(tick);
    var delay = Math.min(BACKOFF_MAX, BACKOFF_MIN * Math.pow(2, attempt));
    delay = Math.round(delay * (0.5 + Math.random() / 2));
    attempt++;
    var at = Date.now() + delay;
    function show() {
      setState('disconnected', 'Disconnected. Reconnecting in ' +
          Math.max(1, Math.ceil((at - Date.now()) / 1000)) + ' s…', true);
    }
    show();
    tick = setInterval(show, 1000);
    timer = setTimeout(connect, delay);
  }

  function signedOut() {
    stopped = true;
    setState('signed-out', 'You are signed out. Log in again to chat.',
        false);
    var a = document.createElement('a');
    a.href = '/login';
    a.textContent = 'Log in';
    el.statusText.appendChild(document.createTextNode(' '));
    el.statusText.appendChild(a);
  }

  function connect() {
    clearTimeout(timer);
    clearInterval(tick);
    if (ws) return;
    stopped = false;
    setState('connecting', everConnected ? 'Reconnecting…' :
        'Connecting…', false);
    var body = new URLSearchParams();
    body.set('csrf_token', el.csrf ? el.csrf.value : '');
    fetch('/chat/ticket', {
      method: 'POST', body: body, credentials: 'same-origin',
      cache: 'no-store'
    }).then(function (res) {
      if (res.status === 401) { signedOut(); return null; }
      if (res.status === 409 || res.status === 403) {
        window.location.reload();
        return null;
      }
      if (!res.ok) throw new Error('ticket ' + res.status);
      return res.json();
    }).then(function (t) {
      if (t) open(t.ticket);
    }).catch(function () {
      later();
    });
  }

  function open(ticket) {
    var s;
    try {
      s = new WebSocket(WS_URL);
    } catch (e) {
      later();
      return;
    }
    ws = s;
    welcomed = false;
    s.onopen = function () {
      rejoin = everConnected ? room : null;
      s.send(JSON.stringify({ type: 'HELLO', ticket: ticket,
          features: ['meta', 'error'] }));
      ticket = null;
    };
    s.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f && typeof f === 'object') onFrame(f);
    };
    s.onclose = function (ev) {
      if (ws !== s) return;
      ws = null;
      quiet.rooms = quiet.who = 0;
      if (everConnected && root.getAttribute('data-state') === 'connected')
        notice('Disconnected from the chat' +
            (ev.reason ? ': ' + ev.reason : '') + '.', 'error');
      if (stopped) {
        setState('disconnected', 'You left the chat.', true);
        return;
      }
      later();
    };
  }

  clearInterval(roomsTimer);
  roomsTimer = setInterval(function () {
    if (document.visibilityState === 'visible') refreshRooms();
  }, 30000);
  renderRooms();
  renderWho();
  connect();
})();
