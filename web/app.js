// Browser client of the voice assistant: WebRTC audio both ways, JSON events on a
// data channel, a live transcript, a latency waterfall, and level measurements
// exposed on window.assistantStats for automated tests.
'use strict';

const VOICED_DB = -40;    // local mic RMS above this counts as speech
const AUDIBLE_DB = -50;   // remote (reply) RMS above this counts as audible
const FLOOR_DB = -100;    // RMS of digital silence, clamped (keeps stats JSON-safe)
const POLL_MS = 10;       // setInterval, not rAF: headless tabs throttle rAF
const STAGES = ['endpoint', 'asr_final', 'llm_first_token', 'tts_first_audio', 'voice_to_voice'];
const STAGE_LABELS = ['endpoint', 'ASR final', 'LLM 1st token', 'TTS 1st audio', 'voice→voice'];

// Read by automated tests; field names and meanings are part of the contract.
const stats = window.assistantStats = {
  connected: false, sessionId: null, events: [], errors: [],
  remoteAudio: { frames: 0, peakDbfs: FLOOR_DB, firstAudibleAt: null },
  micPeakDbfs: FLOOR_DB, bargeIns: [], voiceToVoice: [],
};

const $ = (id) => document.getElementById(id);
const el = {
  start: $('start'), stop: $('stop'), state: $('state'), stateLabel: $('state-label'),
  status: $('status'), transcript: $('transcript'), waterfall: $('waterfall'),
  audio: $('remote-audio'), micMeter: $('mic-meter'), micLevel: $('mic-level'), micDb: $('mic-db'),
  remoteMeter: $('remote-meter'), remoteLevel: $('remote-level'), remoteDb: $('remote-db'),
  signin: $('signin'), secret: $('secret'),
};

// Per-call objects; all null while idle.
let pc = null, dc = null, micStream = null, audioCtx = null;
let micSource = null, micAnalyser = null, remoteSource = null, remoteAnalyser = null;
let pollTimer = null;
let callId = 0;   // bumped by stop(): an in-flight start() sees it and gives up

// ---------------------------------------------------------------- status and state
function make(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setStatus(text, isError = false) {
  el.status.textContent = text;
  el.status.classList.toggle('error', isError);
}

function reportError(text) {
  stats.errors.push(text);
  setStatus(text, true);
}

function setState(state) {
  el.state.dataset.state = state;
  el.stateLabel.textContent = state;
}

// ---------------------------------------------------------------- transcript
let userEntry = null;          // the in-progress user entry (partials), if any
const replies = new Map();     // reply_id -> assistant entry

// Entries hold their words in a .text span so its textContent is exactly the
// spoken/heard text; role labels, "—" and the "interrupted" tag come from CSS.
function addEntry(role, text, extra = {}) {
  const entry = make('div', 'entry');
  entry.dataset.role = role;
  for (const [k, v] of Object.entries(extra)) entry.setAttribute(k, v);
  entry.appendChild(make('span', 'text', text));
  followBottom(() => el.transcript.appendChild(entry));
  return entry;
}

function setEntryText(entry, text) {
  followBottom(() => { entry.querySelector('.text').textContent = text; });
}

// Keep the newest entry in view, unless the reader has scrolled up to read history.
function followBottom(change) {
  const t = el.transcript;
  const atBottom = t.scrollHeight - t.scrollTop - t.clientHeight < 40;
  change();
  if (atBottom) t.scrollTop = t.scrollHeight;
}

function replyEntry(id) {
  let entry = replies.get(id);
  if (!entry) {
    entry = addEntry('assistant', '', { 'data-reply-id': String(id) });
    replies.set(id, entry);
  }
  return entry;
}

function short(value, max = 120) {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s && s.length > max ? s.slice(0, max - 1) + '…' : s;
}

// ---------------------------------------------------------------- server events
function handleMessage(raw) {
  let msg;
  try {
    msg = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw));
  } catch (e) { return; }
  if (!msg || typeof msg !== 'object') return;
  stats.events.push(msg);

  switch (msg.type) {
    case 'session':
      stats.sessionId = msg.session_id;
      break;
    case 'state':
      setState(msg.state);
      break;
    case 'partial':
      if (userEntry) setEntryText(userEntry, msg.text);
      else userEntry = addEntry('user', msg.text, { 'data-partial': 'true' });
      break;
    case 'final':
      if (!userEntry) userEntry = addEntry('user', msg.text);
      else setEntryText(userEntry, msg.text);
      userEntry.removeAttribute('data-partial');
      userEntry = null;
      break;
    case 'reply_started':
      replyEntry(msg.reply_id);
      break;
    case 'reply_spoken': {
      // Clauses arrive as they start playing; join them with one space.
      const span = replyEntry(msg.reply_id).querySelector('.text');
      const prev = span.textContent, add = msg.text || '';
      const sep = prev && !/\s$/.test(prev) && !/^\s/.test(add) ? ' ' : '';
      setEntryText(span.parentNode, prev + sep + add);
      break;
    }
    case 'reply_ended': {
      const entry = replyEntry(msg.reply_id);
      setEntryText(entry, msg.text || '');
      entry.removeAttribute('data-paused');
      if (msg.interrupted) entry.setAttribute('data-interrupted', 'true');
      break;
    }
    case 'barge_in':   // the reply is paused; it is either resumed or ended as interrupted
      replyEntry(msg.reply_id).setAttribute('data-paused', 'true');
      break;
    case 'resumed':
      replyEntry(msg.reply_id).removeAttribute('data-paused');
      break;
    case 'turn':
      if (msg.turn) { turns.push(msg.turn); renderWaterfall(); }
      break;
    case 'tool_call': {
      let line = `${msg.name}(${short(msg.arguments || {})})`;
      if (msg.error) line += ` failed: ${short(msg.error)}`;
      else if ('result' in msg) line += ` → ${short(msg.result)}`;
      if (typeof msg.ms === 'number') line += ` · ${msg.ms < 10 ? msg.ms.toFixed(1) : Math.round(msg.ms)} ms`;
      if (msg.via) line += ` · ${msg.via}`;
      addEntry('tool', line);
      break;
    }
    case 'error': {
      const text = `${msg.source || 'server'}: ${msg.message || 'error'}`;
      reportError(text);
      addEntry('error', text);
      break;
    }
    default:
      break;  // unknown types are ignored (but kept in stats.events)
  }
}

// ---------------------------------------------------------------- latency waterfall
const turns = [];   // every finished turn, as the server sent it

// All turns share one ms axis, so every row is redrawn when a slower turn arrives.
function renderWaterfall() {
  let max = 0;
  for (const t of turns) for (const s of STAGES) max = Math.max(max, (t.timings_ms || {})[s] || 0);
  const step = max <= 1000 ? 100 : max <= 4000 ? 500 : 1000;   // round the axis up to a tidy value
  const axisMax = Math.max(step, Math.ceil(max / step) * step);
  const pct = (v) => `${(100 * v / axisMax).toFixed(2)}%`;

  el.waterfall.replaceChildren();
  turns.forEach((turn, i) => {
    const timings = turn.timings_ms || {};
    const row = make('div', 'turn');
    if (turn.interrupted) row.dataset.interrupted = 'true';
    const meta = [];
    if (turn.interrupted) meta.push('interrupted');
    if (typeof timings.barge_in === 'number') meta.push(`barge-in ${Math.round(timings.barge_in)} ms`);
    if (turn.tool_calls && turn.tool_calls.length) meta.push(`tools: ${turn.tool_calls.length}`);
    const head = make('div', 'turn-head');
    head.append(make('span', 'turn-text', `#${i + 1} ${turn.user_text || '(no words)'}`),
      make('span', 'turn-meta', meta.join(' · ')));
    row.appendChild(head);

    let prev = 0;
    STAGES.forEach((stage, k) => {
      const v = timings[stage];
      const line = make('div', 'stage');
      line.dataset.stage = stage;
      const track = make('div', 'track');
      if (typeof v === 'number') {
        // Each stage runs from the previous one to its own figure; the total
        // (voice_to_voice), or a stage that overlaps the previous one, from 0.
        const from = stage === 'voice_to_voice' || v < prev ? 0 : prev;
        const seg = make('div', 'seg');
        seg.style.left = pct(from);
        seg.style.width = pct(Math.max(v - from, 0));
        track.appendChild(seg);
        prev = Math.max(prev, v);
      }
      line.append(make('span', 'stage-name', STAGE_LABELS[k]), track,
        make('span', 'stage-ms', typeof v === 'number' ? `${Math.round(v)} ms` : '–'));
      row.appendChild(line);
    });
    el.waterfall.appendChild(row);
  });

  const ticks = make('div', 'ticks');
  ticks.append(make('span', '', '0'), make('span', '', `${axisMax / 2} ms`), make('span', '', `${axisMax} ms`));
  const axis = make('div', 'axis');
  axis.append(make('span', ''), ticks, make('span', ''));
  el.waterfall.appendChild(axis);
}

// ---------------------------------------------------------------- levels and browser-side timing
const buf = new Float32Array(512);
function rmsDb(analyser) {
  if (!analyser) return FLOOR_DB;
  analyser.getFloatTimeDomainData(buf);
  let sum = 0;
  for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
  const rms = Math.sqrt(sum / buf.length);
  return rms > 0 ? Math.max(FLOOR_DB, 20 * Math.log10(rms)) : FLOOR_DB;
}

// Measurement state (times are performance.now() ms).
let micBelowSince = null;      // when the mic last dropped below VOICED_DB (null: voiced now)
let lastMicVoicedAt = null;
let measuredFrom = null;
let lastRemoteAudibleAt = null;
let bargeT0 = null, bargeSilentSince = null;
let polls = 0;

function resetMeasurements() {
  micBelowSince = performance.now();
  lastMicVoicedAt = measuredFrom = lastRemoteAudibleAt = bargeT0 = bargeSilentSince = null;
}

function showLevel(bar, meter, label, db) {
  const frac = Math.min(1, Math.max(0, (db + 60) / 60));   // -60..0 dBFS -> 0..100%
  bar.style.width = `${(frac * 100).toFixed(1)}%`;
  if (polls % 12 === 0) {                                 // text at ~8 Hz is plenty
    meter.setAttribute('aria-valuenow', String(Math.round(Math.max(db, -60))));
    label.textContent = db <= -60 ? '– dB' : `${Math.round(db)} dB`;
  }
}

function poll() {
  const now = performance.now();
  const mic = rmsDb(micAnalyser);
  const remote = rmsDb(remoteAnalyser);
  polls++;
  // The bars at ~33 Hz: smooth to the eye, and a third of the page's style and paint work at 100 Hz
  // (which, on a small machine that also runs the server, delays the server's answer).
  if (polls % 3 === 0) {
    showLevel(el.micLevel, el.micMeter, el.micDb, mic);
    showLevel(el.remoteLevel, el.remoteMeter, el.remoteDb, remote);
  }
  stats.micPeakDbfs = Math.max(stats.micPeakDbfs, mic);
  stats.remoteAudio.peakDbfs = Math.max(stats.remoteAudio.peakDbfs, remote);

  const micVoiced = mic > VOICED_DB;
  const audible = remote > AUDIBLE_DB;

  // Speech onset while the reply is audible starts a browser-side barge-in timer.
  if (micVoiced) {
    const onset = micBelowSince !== null && now - micBelowSince >= 300;
    // Only while the reply is audible at this very poll: an onset in a gap between words would time the
    // gap, not the barge-in.
    if (onset && audible && bargeT0 === null) { bargeT0 = now; bargeSilentSince = null; }
    micBelowSince = null;
    lastMicVoicedAt = now;
  } else if (micBelowSince === null) {
    micBelowSince = now;
  }

  // Reply audio starting after >= 300 ms of silence, with the user quiet for >= 200 ms, closes a
  // voice-to-voice measurement: once per thing the user said, so a reply that pauses between clauses
  // is not timed again from the same words.
  if (audible) {
    const afterSilence = lastRemoteAudibleAt === null || now - lastRemoteAudibleAt >= 300;
    const fresh = lastMicVoicedAt !== null && lastMicVoicedAt !== measuredFrom;
    if (afterSilence && fresh && now - lastMicVoicedAt >= 200) {
      stats.voiceToVoice.push(now - lastMicVoicedAt);
      measuredFrom = lastMicVoicedAt;
    }
    stats.remoteAudio.frames++;
    if (stats.remoteAudio.firstAudibleAt === null) stats.remoteAudio.firstAudibleAt = now;
    lastRemoteAudibleAt = now;
  }

  // Barge-in ends when the reply stays silent for 250 ms (longer than a gap between words); it counts
  // from the first silent poll.
  if (bargeT0 !== null) {
    if (audible) bargeSilentSince = null;
    else if (bargeSilentSince === null) bargeSilentSince = now;
    if (bargeSilentSince !== null && now - bargeSilentSince >= 250) {
      stats.bargeIns.push(bargeSilentSince - bargeT0);
      bargeT0 = bargeSilentSince = null;
    } else if (bargeSilentSince === null && now - bargeT0 > 3000) {
      bargeT0 = null;   // the reply never went silent: not a barge-in
    }
  }
}

// ---------------------------------------------------------------- access
// Every call needs a short-lived session token from POST /session. A server with a secret first wants
// it once (the sign-in form, or the page opened as /#token=SECRET); the answer is an HttpOnly cookie, so
// the secret itself is never kept by the page.
class SignInNeeded extends Error {}

async function sessionToken() {
  const res = await fetch('/session', { method: 'POST', credentials: 'same-origin' })
    .catch(() => { throw new Error('Cannot reach the server (POST /session failed).'); });
  if (res.status === 401) {
    el.signin.hidden = false;
    throw new SignInNeeded('Sign in first: this server needs its secret.');
  }
  const body = await res.json().catch(() => null);
  if (!res.ok || !body || typeof body.token !== 'string') {
    throw new Error(`The server gave no session token (HTTP ${res.status}).`);
  }
  el.signin.hidden = true;
  return body.token;
}

async function signIn(secret) {
  const res = await fetch('/login', {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ secret }),
  }).catch(() => null);
  if (!res) { reportError('Cannot reach the server (POST /login failed).'); return false; }
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    reportError((body && typeof body.detail === 'string' && body.detail) || `Sign-in failed (HTTP ${res.status}).`);
    return false;
  }
  el.signin.hidden = true;
  el.secret.value = '';
  setStatus('Signed in. Press Start and allow the microphone.');
  return true;
}

// ---------------------------------------------------------------- call setup
// Lower the receiver's playout buffer so a barge-in is heard as silence quickly.
function shortenPlayout(receiver) {
  try {
    if ('jitterBufferTarget' in receiver) receiver.jitterBufferTarget = 0;
    else if ('playoutDelayHint' in receiver) receiver.playoutDelayHint = 0;
  } catch (e) { /* not supported: keep the default buffer */ }
}

// Non-trickle signalling: the offer is POSTed once with all candidates in it.
function iceGatheringDone(conn, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const check = () => { if (conn.iceGatheringState === 'complete') resolve(); };
    conn.addEventListener('icegatheringstatechange', check);
    setTimeout(resolve, timeoutMs);   // safety net: send what was gathered so far
    check();
  });
}

function attachRemote(stream) {
  el.audio.srcObject = stream;
  el.audio.muted = false;
  el.audio.play().catch(() => setStatus('Reply audio is blocked by the browser: click the page to allow it.'));
  if (remoteSource) remoteSource.disconnect();
  remoteSource = audioCtx.createMediaStreamSource(stream);
  remoteSource.connect(remoteAnalyser);   // analysis only; the <audio> element plays it
}

function newAnalyser() {
  const a = audioCtx.createAnalyser();
  a.fftSize = 512;
  return a;
}

async function start() {
  if (pc || micStream) return;
  const id = ++callId;
  const alive = () => id === callId;
  el.start.disabled = true;
  el.stop.disabled = false;
  setState('connecting');
  stats.connected = false;
  stats.sessionId = null;
  replies.clear();   // reply ids restart with each session
  try {
    setStatus('Asking for the microphone…');
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
    });
    if (!alive()) { stream.getTracks().forEach((t) => t.stop()); return; }
    micStream = stream;

    audioCtx = audioCtx || new AudioContext();
    // Not awaited: without a user gesture (autostart) the promise may only settle
    // after the first click, and the call must not wait for that.
    audioCtx.resume().catch(() => {});
    micAnalyser = newAnalyser();
    remoteAnalyser = newAnalyser();
    micSource = audioCtx.createMediaStreamSource(micStream);
    micSource.connect(micAnalyser);
    resetMeasurements();
    pollTimer = setInterval(poll, POLL_MS);

    setStatus('Connecting…');
    pc = new RTCPeerConnection();
    const transceiver = pc.addTransceiver(micStream.getAudioTracks()[0], {
      direction: 'sendrecv', streams: [micStream],
    });
    shortenPlayout(transceiver.receiver);
    pc.ontrack = (ev) => {
      shortenPlayout(ev.receiver);
      attachRemote(ev.streams[0] || new MediaStream([ev.track]));
    };
    pc.onconnectionstatechange = () => {
      const st = pc.connectionState;
      if (st === 'failed') { reportError('Connection failed.'); stop(true); }
      else if (st === 'disconnected') reportError('Connection lost, trying to recover…');
      else if (st === 'connected' && stats.connected) setStatus('Connected. Speak any time.');
    };

    dc = pc.createDataChannel('events', { ordered: true });
    dc.binaryType = 'arraybuffer';
    dc.onopen = () => { stats.connected = true; setStatus('Connected. Speak any time.'); };
    dc.onmessage = (ev) => handleMessage(ev.data);
    dc.onclose = () => { reportError('The server closed the session.'); stop(true); };

    await pc.setLocalDescription(await pc.createOffer());
    await iceGatheringDone(pc);
    if (!alive()) return;

    const token = await sessionToken();
    if (!alive()) return;
    const res = await fetch('/offer', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ sdp: pc.localDescription.sdp, type: pc.localDescription.type }),
    }).catch(() => { throw new Error('Cannot reach the server (POST /offer failed).'); });
    const body = await res.json().catch(() => null);   // error pages may not be JSON
    if (!alive()) return;
    if (!res.ok) {
      let detail = (body && body.detail) || res.statusText || 'no details';
      if (typeof detail !== 'string') detail = JSON.stringify(detail);
      throw new Error(`Server refused the call: ${detail} (HTTP ${res.status}).`);
    }
    if (!body || !body.sdp) throw new Error('The server sent no SDP answer.');
    if (body.session_id) stats.sessionId = body.session_id;
    await pc.setRemoteDescription({ type: body.type || 'answer', sdp: body.sdp });
    if (alive() && !stats.connected) setStatus('Connecting audio…');
  } catch (e) {
    if (!alive()) return;   // Stop was pressed meanwhile; its cleanup already ran
    const msg = e && e.name === 'NotAllowedError' ? 'Microphone permission denied.'
      : e && e.name === 'NotFoundError' ? 'No microphone found.'
        : (e && e.message) || String(e);
    reportError(msg);
    stop(true);
    if (e instanceof SignInNeeded) el.secret.focus();
  }
}

// keepStatus: leave an error message visible instead of "Stopped."
function stop(keepStatus = false) {
  callId++;
  clearInterval(pollTimer);
  pollTimer = null;
  // Detach handlers first so closing does not report itself as a server error.
  if (dc) { dc.onclose = dc.onmessage = dc.onopen = null; dc.close(); }
  if (pc) { pc.onconnectionstatechange = pc.ontrack = null; pc.close(); }
  if (micStream) micStream.getTracks().forEach((t) => t.stop());
  for (const node of [micSource, remoteSource]) if (node) node.disconnect();
  el.audio.srcObject = null;
  dc = pc = micStream = micSource = remoteSource = micAnalyser = remoteAnalyser = null;
  stats.connected = false;
  if (userEntry) { userEntry.removeAttribute('data-partial'); userEntry = null; }
  polls = 0;
  showLevel(el.micLevel, el.micMeter, el.micDb, FLOOR_DB);
  showLevel(el.remoteLevel, el.remoteMeter, el.remoteDb, FLOOR_DB);
  setState('idle');
  el.start.disabled = false;
  el.stop.disabled = true;
  if (!keepStatus) setStatus('Stopped.');
}

el.start.addEventListener('click', () => start());
el.stop.addEventListener('click', () => stop());
// Any click counts as the user gesture browsers want before they play sound.
document.addEventListener('click', () => {
  if (audioCtx) audioCtx.resume().catch(() => {});
  if (el.audio.srcObject) el.audio.play().catch(() => {});
});
window.addEventListener('pagehide', () => { if (pc) stop(); });

el.signin.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (await signIn(el.secret.value)) start();
});

// Opened as /#token=SECRET (a link to share): sign in with it, then drop it from the address bar and history.
async function boot() {
  const secret = new URLSearchParams(location.hash.slice(1)).get('token');
  if (secret) {
    history.replaceState(null, '', location.pathname + location.search);
    await signIn(secret);
  }
  if (new URLSearchParams(location.search).get('autostart') === '1') start();
  else sessionToken().catch((e) => { if (e instanceof SignInNeeded) setStatus(e.message); });
}
boot();
