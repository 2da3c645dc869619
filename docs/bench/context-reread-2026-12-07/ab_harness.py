"""A/B of the final pass over long turns: committed + after_seam (old) vs the context read again (new).
Both finals from the same recognizer state, after partial passes every 0.6 s of audio."""
import glob, sys, time, wave, json
import numpy as np
from assistant.config import load_config
from assistant.asr.whisper import Transcriber
from assistant.asr.streaming import StreamingRecognizer
from assistant.asr.wer import word_error_rate, normalise

S = "/work/shared/speech"
def load(f):
    w = wave.open(f); return np.frombuffer(w.readframes(w.getnframes()), np.int16)
def ref(f):
    t = f[:-4] + ".txt"
    try: return open(t).read().strip()
    except FileNotFoundError: pass
    for line in open(S + "/README.md"):
        if f.split("/")[-1] in line and "|" in line: return line.split("|")[2].strip()
cases = []
ast = sorted(glob.glob(S + "/asterisk-dev/*.wav"))
for f in ast:
    a = load(f)
    if a.size > 8.5 * 16000: cases.append((f.split("/")[-1], a, ref(f)))
short = [f for f in ast if load(f).size <= 8.5 * 16000]
group, g = [], []
for f in short:
    g.append(f)
    if sum(load(x).size for x in g) > 12 * 16000:
        group.append(g); g = []
for g in group:
    cases.append(("+".join(x.split("/")[-1][:-4] for x in g)[:60], np.concatenate([load(x) for x in g]), " ".join(ref(x) for x in g)))
lib = sorted(glob.glob(S + "/sense*.wav"))
cases.append(("librivox-all", np.concatenate([load(x) for x in lib]), " ".join(ref(x) for x in lib)))
cases.append(("librivox-123", np.concatenate([load(x) for x in lib[:3]]), " ".join(ref(x) for x in lib[:3])))
NEW = StreamingRecognizer._context_read_again
tr = Transcriber(load_config().asr)
refs, old, new, rows = [], [], [], []
rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
step = int(float(sys.argv[1] if len(sys.argv) > 1 else 0.6) * 16000)
for name, audio, r in cases:
    rec = StreamingRecognizer(tr)
    n = step
    while n < audio.size:
        rec.partial_sync(audio[:n])
        n += step + int(rng.uniform(0, float(__import__("os").environ.get("JITTER", "0.5"))) * 16000)
    StreamingRecognizer._context_read_again = lambda self, d: self._agreement.committed + self._agreement.after_seam(d)
    o = rec.final_sync(audio).transcript.text
    StreamingRecognizer._context_read_again = NEW
    t = time.perf_counter()
    nw = rec.final_sync(audio).transcript.text
    refs.append(r); old.append(o); new.append(nw)
    wo, wn = word_error_rate([r], [o]), word_error_rate([r], [nw])
    print(f"{wo:.3f} {wn:.3f} {audio.size/16000:5.1f}s {name}", flush=True)
    if o != nw:
        print("   O:", o); print("   N:", nw)
print("pooled old", round(word_error_rate(refs, old), 4), "new", round(word_error_rate(refs, new), 4), "n", len(cases))
