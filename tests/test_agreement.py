"""LocalAgreement-2 on hand-made hypotheses, and the end-of-turn rule (pure logic, no models)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from assistant.asr.agreement import LocalAgreement, Word, join_words
from assistant.config import TurnConfig
from assistant.engine.end_of_turn import asks_words, end_of_turn
from assistant.engine.user_turn import holds_too_many_words


def words(*spec: tuple[str, float, float]) -> list[Word]:
    return [Word(text, start, end) for text, start, end in spec]


def test_two_passes_commit_only_their_common_prefix():
    agreement = LocalAgreement()
    assert agreement.insert(words((" Go", 0.1, 0.3), (" for", 0.3, 0.5))) == []
    committed = agreement.insert(words((" Go", 0.1, 0.3), (" forward", 0.3, 0.7), (" ten", 0.8, 1.0)))
    assert join_words(committed) == "Go"
    assert [w.key for w in agreement.pending] == ["forward", "ten"]
    # Case and punctuation do not break an agreement.
    again = agreement.insert(words((" Go", 0.1, 0.3), (" Forward,", 0.3, 0.7), (" ten.", 0.8, 1.0)))
    assert [w.key for w in again] == ["forward", "ten"]
    assert join_words(agreement.committed) == "Go Forward, ten."


def test_words_decoded_again_at_the_seam_are_dropped():
    agreement = LocalAgreement()
    agreement.commit_all(words((" seven", 0.0, 0.4), (" of", 0.4, 0.6)))
    # The next decode starts a little before the seam: "of" again (overlapping in time), then new words.
    fresh = agreement.after_seam(words((" of", 0.55, 0.65), (" clubs", 0.7, 1.1)))
    assert [w.key for w in fresh] == ["clubs"]
    # Words that start well before the committed end are old, whatever they say.
    assert agreement.after_seam(words((" seven", 0.0, 0.4))) == []


def test_a_word_said_twice_is_kept_twice():
    agreement = LocalAgreement()
    agreement.commit_all(words((" five", 0.2, 0.5)))
    assert [w.key for w in agreement.after_seam(words((" five", 0.6, 0.9)))] == ["five"]
    agreement.commit_all(words((" go", 0.6, 0.8), (" on", 0.8, 1.0)))
    assert [w.key for w in agreement.after_seam(words((" go", 1.5, 1.7), (" on", 1.7, 1.9)))] == ["go", "on"]


def test_a_phrase_decoded_again_later_in_time_is_still_dropped():
    """The final pass timed "there might be prudently in his power ..." after the committed "... there
    might be prudently in his" (a paused sentence, 2026-12-05): four words or more that repeat the
    committed tail are decoded again, whatever Whisper's times say."""
    agreement = LocalAgreement()
    said = "to consider how much there might be prudently in his"
    agreement.commit_all(words(*((f" {w}", 0.3 * i, 0.3 * i + 0.25) for i, w in enumerate(said.split()))))
    again = "there might be prudently in his power to do for them"
    late = [(f" {w}", 4.0 + 0.3 * i, 4.25 + 0.3 * i) for i, w in enumerate(again.split())]
    assert join_words(agreement.after_seam(words(*late))) == "power to do for them"


@given(st.lists(st.sampled_from(["go", "on", "five", "the", "timer", "now"]), min_size=1, max_size=12))
def test_the_seam_drops_only_a_repeat_of_the_committed_tail(said: list[str]) -> None:
    """Whatever is committed, a later hypothesis loses at most its opening words, and only those that
    repeat the committed tail."""
    agreement = LocalAgreement()
    agreement.commit_all(words(*((f" {w}", 0.3 * i, 0.3 * i + 0.25) for i, w in enumerate(said))))
    later = [(f" {w}", 10.0 + 0.3 * i, 10.25 + 0.3 * i) for i, w in enumerate(["new", *said])]
    assert [w.key for w in agreement.after_seam(words(*later))] == ["new", *said]  # no repeat at its start
    kept = [w.key for w in agreement.after_seam(words(*later[1:]))]
    dropped = len(said) - len(kept)
    assert kept == said[dropped:] and (dropped == 0 or said[-dropped:] == said[:dropped])


def test_end_of_turn_weighs_the_model_and_the_words():
    cfg = TurnConfig()
    assert end_of_turn("I'd like to book.", 0.9, cfg).rule == "complete"
    assert end_of_turn("I'd like to book.", 0.9, cfg).silence_ms == cfg.endpoint_complete_ms
    unfinished = end_of_turn("I'd like to book.", 0.1, cfg)
    assert unfinished.rule == "unfinished" and unfinished.silence_ms > 1500
    # The model is vetoed by words that trail off.
    assert end_of_turn("a table for two and", 0.95, cfg).rule == "trailing_word"
    assert end_of_turn("", 0.95, cfg).rule == "no_words"
    # Without the model the punctuation decides, as before.
    assert end_of_turn("What time is it?", None, cfg).silence_ms == cfg.endpoint_complete_ms
    # An "unfinished" is overruled by words that end a message; below `words_from` only by sure words.
    low = cfg.words_from / 2
    assert end_of_turn("That conference is full.", 0.3, cfg, words=0.15).rule == "complete_words"
    assert end_of_turn("That conference is full.", 0.3, cfg, words=0.001).rule == "unfinished"
    assert end_of_turn("That conference is full.", cfg.words_from, cfg, words=0.15).rule == "complete_words"
    assert end_of_turn("That conference is full.", low, cfg, words=0.15).rule == "unfinished"
    assert end_of_turn("That conference is full.", low, cfg, words=0.3).rule == "complete_words"
    never = cfg.model_copy(update={"words_overrule": 1.0})
    assert end_of_turn("That conference is full.", low, never, words=0.9).rule == "unfinished"
    # An ellipsis is left to the models, as a full stop is; a comma still holds where Smart Turn doubts.
    assert asks_words("These days go on forever...", low, cfg)
    assert end_of_turn("These days go on forever...", low, cfg, words=0.3).rule == "complete_words"
    assert end_of_turn("I'd like to book...", 0.3, cfg, words=0.0001).rule == "unfinished"
    assert end_of_turn("I'd like to book,", 0.3, cfg, words=0.9).rule == "trailing_word"
    assert end_of_turn("I'd like to book...", None, cfg).silence_ms == cfg.endpoint_incomplete_ms
    assert end_of_turn("a table for two and", 0.3, cfg, words=0.9).rule == "trailing_word"
    # A "finished" is vetoed by words that plainly go on, and kept by words that merely might.
    vetoed = end_of_turn("I'd like to book.", 0.9, cfg, words=0.001)
    assert vetoed.rule == "unfinished_words" and vetoed.silence_ms == cfg.endpoint_incomplete_ms
    assert end_of_turn("I'd like to book.", 0.9, cfg, words=0.02).rule == "complete"
    assert (
        end_of_turn("I'd like to book.", 0.9, cfg.model_copy(update={"words_veto": 0}), 0.0).rule
        == "complete"
    )


def test_a_lone_word_is_vetoed_only_by_words_that_surely_go_on():
    """A one-word reply ("Help.") scores about as low as a sentence's first word, so its veto is lower;
    a number is a word, not silence ("5": no `no_words` wait)."""
    cfg = TurnConfig()
    between = (cfg.words_veto_lone + cfg.words_veto) / 2
    assert end_of_turn("Help.", 0.9, cfg, words=between).rule == "complete"
    assert end_of_turn("Help me.", 0.9, cfg, words=between).rule == "unfinished_words"
    assert end_of_turn("Press.", 0.9, cfg, words=cfg.words_veto_lone / 2).rule == "lone_word"
    assert end_of_turn("5", 0.9, cfg).rule == "complete"
    # Whisper's comma or ellipsis after a lone word holds the turn only where the audio model doubts it;
    # a trailing word holds it whatever the model hears.
    assert end_of_turn("Yes,", 0.9, cfg, words=0.1).rule == "complete"
    assert end_of_turn("No...", 0.9, cfg, words=cfg.words_veto_lone / 2).rule == "lone_word"
    assert end_of_turn("Yes,", 0.2, cfg).rule == "lone_word"
    assert end_of_turn("Yes, and", 0.9, cfg).rule == end_of_turn("and", 0.9, cfg).rule == "trailing_word"
    assert asks_words("Yes,", 0.9, cfg) and not asks_words("Yes,", 0.2, cfg)
    assert end_of_turn("Five.", 0.9, cfg).rule == end_of_turn("5.", 0.9, cfg).rule == "complete"


def test_a_lone_word_that_either_model_doubts_waits_less_than_an_unfinished_phrase():
    """Smart Turn doubts whole one-word replies ("Extension.": 0.02) as it doubts a sentence's first word:
    a lone word waits `endpoint_lone_ms`, shorter than an unfinished phrase; a trailing one does not."""
    cfg = TurnConfig()
    assert cfg.endpoint_complete_ms < cfg.endpoint_lone_ms < cfg.endpoint_incomplete_ms
    for text in ("Extension.", "Okay. Okay.", "No...", "C-", "5"):
        verdict = end_of_turn(text, 0.02, cfg)
        assert (verdict.rule, verdict.silence_ms) == ("lone_word", cfg.endpoint_lone_ms), text
    vetoed = end_of_turn("Press.", 0.9, cfg, words=cfg.words_veto_lone / 2)
    assert (vetoed.rule, vetoed.silence_ms) == ("lone_word", cfg.endpoint_lone_ms)
    assert end_of_turn("Extension.", None, cfg).silence_ms <= cfg.endpoint_lone_ms  # no model
    # A finished lone word keeps its short wait; a trailing one, or two words, the long one.
    assert end_of_turn("Yes.", 0.9, cfg).silence_ms == cfg.endpoint_complete_ms
    assert end_of_turn("Um.", 0.02, cfg).silence_ms == cfg.endpoint_sure_unfinished_ms  # the audio too
    assert end_of_turn("and", 0.9, cfg).silence_ms == cfg.endpoint_incomplete_ms
    assert end_of_turn("It feels.", 0.02, cfg).silence_ms == cfg.endpoint_incomplete_ms


@given(st.one_of(st.none(), st.floats(0, 1)), st.one_of(st.none(), st.floats(0, 1)))
def test_a_request_without_what_it_needs_waits_as_an_unfinished_phrase(probability, words):
    """ "Take a note." (Whisper's full stop after "Take a note:") waits the unfinished phrase's hold
    whatever the models say; the same words not asking for more keep the models' verdict."""
    cfg = TurnConfig()
    verdict = end_of_turn("Take a note.", probability, cfg, words, wants_more=True)
    plain = end_of_turn("Take a note.", probability, cfg, words)
    assert verdict.silence_ms == max(cfg.endpoint_incomplete_ms, plain.silence_ms)
    assert plain.rule != "unfinished_request" and plain.silence_ms <= cfg.endpoint_sure_unfinished_ms
    assert verdict.rule == (plain.rule if plain.silence_ms == verdict.silence_ms else "unfinished_request")


def test_the_tools_say_which_requests_leave_out_what_they_need():
    from assistant.config import load_config
    from assistant.engine.tooling import ToolHost, toolbox_for

    cfg = load_config(overrides=["tools.entry_points=false"])
    host = ToolHost(cfg.tools, toolbox_for(cfg.tools), "t", lambda _: None, None, False)  # type: ignore[arg-type]
    for text in ("Take a note.", "Set a timer."):
        assert host.asks_for_more(text), text
    for text in (
        "Take a note, call the plumber.",
        "Set a timer for ten minutes.",
        "Thanks for the note.",
        "I like taking notes.",
        "Tell me a story.",
        "Never mind.",
        "What time is it?",
    ):
        assert not host.asks_for_more(text), text


def test_the_words_model_is_asked_only_where_it_could_change_the_verdict():
    cfg = TurnConfig()
    assert asks_words("I'd like to book.", 0.9, cfg) and asks_words("I'd like to book.", 0.2, cfg)
    assert not asks_words("I'd like to book.", None, cfg)  # no audio model: punctuation decides
    assert not asks_words("a table for two and", 0.9, cfg) and not asks_words("", 0.9, cfg)
    assert not asks_words("I'd like to book.", 0.9, cfg.model_copy(update={"words_veto": 0}))
    assert asks_words("I'd like to book.", 0.02, cfg)
    assert not asks_words("I'd like to book.", 0.02, cfg.model_copy(update={"words_overrule": 1.0}))


def test_words_that_may_end_a_sentence_are_left_to_the_models():
    """ "Thank you.", "than he was.", "What is it for?" end on words that also lead into more: they hold
    the turn only where a model says so; "and", "the", "um" hold it whatever the models say."""
    cfg = TurnConfig()
    for text in ("Thank you.", "He was not so rich as he was.", "What is it for?", "I think so."):
        assert end_of_turn(text, 0.9, cfg).rule == "complete", text
        assert end_of_turn(text, 0.3, cfg, words=0.4).rule == "complete_words", text
        assert end_of_turn(text, 0.3, cfg, words=0.001).rule == "unfinished", text
        assert end_of_turn(text, None, cfg).silence_ms == cfg.endpoint_incomplete_ms, text  # no model
    assert end_of_turn("I want to go to", 0.9, cfg, words=0.0001).rule == "unfinished_words"
    for text in ("a table for two and", "I'd like the", "Well, um"):
        assert end_of_turn(text, 0.99, cfg, words=0.9).rule == "trailing_word", text
    assert end_of_turn("To.", 0.02, cfg, words=0.03).silence_ms == cfg.endpoint_incomplete_ms  # no lone cap


@given(st.floats(0, 1), st.floats(0, 1))
def test_a_phrase_both_models_are_sure_goes_on_waits_longest(probability: float, words: float) -> None:
    """ "... to consider how much" (Smart Turn 0.006, words 0.0014) [1.5 s] "there might be ...": with the
    gaps either side, the pause outlasts 1.7 s, so a phrase both models are sure goes on waits 2.5 s. Only
    then: one model in doubt keeps the 1.7 s (or the words overrule it)."""
    cfg = TurnConfig()
    assert cfg.endpoint_incomplete_ms < cfg.endpoint_sure_unfinished_ms
    verdict = end_of_turn("And he had leisure to consider how much", probability, cfg, words)
    sure = probability < cfg.sure_unfinished_below and words < cfg.sure_unfinished_words
    assert (verdict.rule == "sure_unfinished") == sure
    assert (verdict.silence_ms == cfg.endpoint_sure_unfinished_ms) == sure
    assert verdict.silence_ms <= cfg.endpoint_sure_unfinished_ms
    assert end_of_turn("How much.", 0.01, cfg, words=0.001).rule == "sure_unfinished"
    assert end_of_turn("Much.", 0.01, cfg, words=0.001).rule == "lone_word"  # one word: no model knows


def test_a_transcript_longer_than_its_burst_is_invented():
    assert holds_too_many_words("And that's it.", 230)
    assert not holds_too_many_words("Stop.", 230)
    assert not holds_too_many_words("go forward ten meters", 1200)
    # Two short words said fast are words: the rest of a sentence said into the reply, not a sound.
    assert not holds_too_many_words("Buy milk.", 300) and holds_too_many_words("Buy some milk.", 300)
    # Whisper's repetition loop on a short clip invents no word: "Stop." heard as "Stop. Stop."
    assert not holds_too_many_words("Stop. Stop.", 300)
    assert holds_too_many_words("Stop. Stop the music.", 300)


@given(
    st.lists(st.sampled_from(["stop", "wait", "no", "okay", "the", "music"]), min_size=1, max_size=6),
    st.integers(2, 4),
    st.floats(0, 2000),
)
def test_saying_a_word_again_at_once_never_makes_a_burst_invented(words, times, spoken_ms):
    once = " ".join(words)
    again = " ".join(w for word in words for w in [word.capitalize() + ","] * times)
    assert holds_too_many_words(again, spoken_ms) == holds_too_many_words(once, spoken_ms)


def test_a_phrase_said_twice_at_the_end_is_kept_once():
    """Whisper, decoding the tail of a paused sentence after its prompt, said "there might be prudently in
    his power to do for them" twice; two or three words said again ("okay okay", "go on, go on") stay."""
    from assistant.asr.hallucination import doubled_end

    heard = "how much there might be prudently in his power to do for them".split()
    assert doubled_end(heard + heard[2:]) == len(heard) - 2
    assert doubled_end("okay okay".split()) == doubled_end("go on go on".split()) == 0
    assert doubled_end(heard) == 0


@given(
    st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=8),
    st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=4, max_size=8),
)
def test_only_an_immediate_repeat_is_dropped(before: list[str], phrase: list[str]) -> None:
    from assistant.asr.hallucination import doubled_end

    keys = before + phrase + phrase
    n = doubled_end(keys)
    assert n >= len(phrase) and keys[-n:] == keys[-2 * n : -n]
