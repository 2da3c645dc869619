"""A small model must not approve something dangerous: a risky question's approving answer is not said.

Qwen2.5-Coder 0.5B, the offline default, answers "Can I ...?" with "Yes, you can ..." whatever follows: it
approved honey for a four-month-old, a charcoal barbecue indoors and driving after four beers (12 of 14
unsafe probes of the dialogue set, docs; no system prompt wording changed that for long). Judging
safety is beyond a model that size, so the engine does the one part that needs no judgement: when the
user asks whether they may do something (`_PERMISSION`) that touches a well-known household hazard in a
dangerous situation (`HAZARDS`: the categories of poison-control and home-safety advice, not any
benchmark's wording; an everyday hazard such as an oven, a pill or a knife only with what makes it
dangerous, `_SITUATION_OF`), a reply that approves it (`approves`: "Yes, ...", "You can ..." at its
opening, also after an opening condition, "it's fine to" anywhere; `tells_to_do`: the asked act said back
as an order, or as leave) or whose first sentence does not warn (`warns`) is replaced, before a word of
it is spoken, by `CAUTION`, and the model is stopped. A reply that warns, refuses or explains is said as
written.

The rule can be wrong both ways: a harmless question in a hazard's situation whose answer is "yes" gets
the cautious sentence (4 of 30 held-out harmless questions, docs/bench/safety), and a hazard outside the
list gets through (the model's answer, as before). Bigger models mostly answer these with a warning;
a good answer that names no harm, refusal or advice in its first sentence gets the cautious sentence too.
"""

from __future__ import annotations

import re

from assistant.tools.intent.gate import FUNCTION_WORDS
from assistant.tools.intent.speech_act import opens_with_a_verb

CAUTION = "That could be dangerous, so I wouldn't. Please check with an expert first."
"""Said instead of an approving answer to a risky question."""

_PERMISSION = re.compile(
    r"\b(?:can|could|may|should|shall|must) (?:i|we|you|he|she|they|my \w+|our \w+|the \w+)\b"
    r"|\bis it (?:\w+ )?(?:ok|okay|alright|all right|fine|safe|good|bad|dangerous|wise|smart|risky|"
    r"a good idea|a bad idea)\b|\b(?:ok|okay|alright|fine|safe) (?:to|if)\b"
    r"|\b(?:would|will) it (?:hurt|harm|matter|be (?:ok|okay|alright|fine|safe|bad))\b"
    r"|\bdo i (?:really )?(?:need|have) to\b|\bis there any harm\b",
    re.IGNORECASE,
)
_CHILD = r"(?:baby|babies|infant|newborn|toddler|child|children|kids?|\w+[ -](?:year|month)[ -]olds?)"
_PET = r"(?:dogs?|cats?|pupp(?:y|ies)|kittens?|pets?|parrots?|rabbits?)"
_SITUATION_OF = {
    "medicines": r"\b(?:double|twice|triple|extra|more than|higher|overdose|a lot of|as many|all of|"
    r"whole (?:box|bottle|pack)|together|combine\w*|mix\w*|along with|on top of|alcohol|beers?|wine|"
    r"vodka|whisky|whiskey|booze|liquor|someone else's|expired|and drive|before driving)\b"
    rf"|\b{_CHILD}\b|\b{_PET}\b",
    "fire and fumes": r"\b(?:inside|indoors|in the (?:house|living room|bedroom|kitchen|tent|garage|"
    r"basement|car|camper)|closed|enclosed|unattended|alone|overnight|asleep|sleep\w*|"
    r"go(?:ing)? (?:out|to bed|away)|leave (?:it |them )?(?:on|burning|lit|running)|"
    r"left (?:on|burning|running)|while i'?m (?:out|away|asleep)|water on|water over|"
    r"put (?:it )?out with water|near (?:the )?(?:curtains?|bed|kids?|children|tent)|"
    r"take (?:the )?batter(?:y|ies) out|remove (?:the )?batter(?:y|ies)|for good|disable|"
    r"smell (?:of )?gas|leak\w*|to start|to light|on (?:the )?(?:fire|flames?|coals?)|hold|"
    r"in (?:my|your) hand|without (?:any )?(?:ventilation|a window|opening))\b",
    "electricity": r"\b(?:poke|stick|insert|touch|wet|water|bath\w*|shower|tub|pool|rain\w*|metal|fork|"
    r"knife|frayed|damaged|cut|repair|fix|rewire|overload\w*|under (?:the )?(?:rug|carpet)|daisy|"
    r"another extension|plug (?:it )?into another|still plugged in|while (?:it'?s |it is )?plugged in)\b",
    "chemicals": r"\b(?:mix\w*|combine\w*|together|with (?:another|other|ammonia|vinegar|bleach|"
    r"drain cleaner)|drink|swallow|taste|eat|kids?|child(?:ren)?|toddler|baby|pets?|dogs?|cats?|"
    r"(?:water|drink\w*|soda) bottle|without gloves|closed|small room|no ventilation)\b",
    "sharp tools and heights": r"\b(?:alone|by myself|on my own|without (?:a |any )?(?:spotter|guard|"
    r"gloves|goggles|glasses|harness|help|anyone)|kids?|child(?:ren)?|toddler|toward|towards|plugged|"
    r"running|wet|rain\w*|windy|top (?:step|rung)|drunk|tired|catch|poke|toaster|outlet|socket|stand on|"
    r"guard off|off the guard|without (?:the |its )?guard|remove (?:the |its )?guard)\b",
}
"""For hazards met every day (an oven, a knife, a pill), the situation that makes them dangerous: the
object alone ("Can I put aluminium foil in the oven?", "Can I take paracetamol with a glass of
water?") asks nothing risky. Qwen answers those "Yes, you can ..." as it answers the dangerous ones, and
all 12 such questions written for this got the cautious sentence until 2026-12-05."""
_IMPAIRED = (
    r"(?:beers?|wine|drinks|drunk|alcohol|tipsy|high|stoned|joint|weed|marijuana|cannabis|edibles?|"
    r"sleeping pills?|sedatives?)"
)
HAZARDS = {
    "impaired driving": rf"\b{_IMPAIRED}\b.*\b(?:drive|driving)\b|\b(?:drive|driving)\b.*\b{_IMPAIRED}\b",
    "medicines": r"\b(?:doses?|dosage|overdose|pills?|tablets?|medicines?|medications?|painkillers?|"
    r"ibuprofen|paracetamol|acetaminophen|tylenol|aspirin|antibiotics?|prescriptions?|sedatives?|"
    r"opioids?|oxycodone|codeine|morphine|tramadol|sleeping pills?|(?:cough|cold) (?:syrup|medicine))\b",
    "fire and fumes": r"\b(?:fires?|flames?|grease|candles?|gas|propane|stove|oven|barbecue|barbeque|bbq|"
    r"charcoal|grill|generator|heater|fireplace|exhaust|carbon monoxide|smoke (?:alarm|detector)s?|"
    r"petrol|gasoline|lighter fluid|fireworks?|engine running)\b"
    r"|\b(?:oil|pan)\b.*\b(?:caught fire|on fire|burning|flames?)\b",
    "engines indoors": r"\b(?:car|engine|motor|generator|mower)\b.*\b(?:garage|indoors|inside|tent|"
    r"closed room)\b",
    "electricity": r"\b(?:plugged in|outlets?|sockets?|wires?|wiring|electrical|electric|toaster|fuse|"
    r"breaker|extension cords?|power lines?|hair ?dryer)\b",
    "chemicals": r"\b(?:bleach|ammonia|drain cleaners?|cleaning products?|chemicals?|pesticides?|poison"
    r"|solvents?|antifreeze|weed ?killer|rat bait)\b|\bmix\w*\b.*\bcleaners?\b",
    "children": rf"\b{_CHILD}\b.*\b(?:alone|unattended|by (?:him|her|them)sel(?:f|ves)|honey|nuts|"
    r"pool|bath|water|front seat|seat ?belts?|car seat|booster)\b"
    rf"|\b(?:alone|unattended|honey|pool|bath|front seat)\b.*\b{_CHILD}\b"
    rf"|\bleav(?:e|ing)\b.*\b{_CHILD}\b"  # left anywhere, even where ASR misheard the place
    r"|\bbooster seat\b",
    "pets' food": rf"\b{_PET}\b.*\b(?:grapes?|raisins?|chocolate|onions?|garlic|xylitol|avocados?|"
    rf"cooked bones|macadamias?)\b|\b(?:grapes?|raisins?|chocolate|onions?|xylitol)\b.*\b{_PET}\b",
    "eyes": r"\b(?:look|looking|stare|staring|watch|watching)\b.*\b(?:sun|eclipse|laser|welding)\b"
    r"|\b(?:eclipse|laser|welding)\b.*\b(?:look|looking|stare|staring|watch|watching)\b",
    "water and heat": r"\b(?:without (?:any )?(?:water|drinking)|dehydrat\w*|heatstroke|hypothermia|"
    r"thin ice|hot car|locked car|rip current|skip (?:drinking )?water|no water|"
    r"(?:frozen|iced over|ice on (?:the|a)) (?:pond|lake|river|canal)|(?:pond|lake|river|canal) froze)\b",
    "swallowed": r"\bswallow(?:ed|s)?\b",
    "sharp tools and heights": r"\b(?:knife|knives|blades?|chainsaw|ladder|roof|power tools?)\b",
    "food safety": r"\b(?:raw (?:chicken|meat|pork|eggs|flour)|undercooked|mou?ldy?|spoiled|rotten)\b"
    r"|\bleft\b.*\bout\b.*\b(?:all night|overnight|all day)\b",
}
"""Well-known household hazards, one pattern per category (lower-case text); where `_SITUATION_OF` has
the category, only with its situation."""
_HAZARD_IN = {
    name: (re.compile(pattern), re.compile(_SITUATION_OF[name]) if name in _SITUATION_OF else None)
    for name, pattern in HAZARDS.items()
}


def hazard(text: str) -> str | None:
    """The household hazard a lower-case text touches in a dangerous situation, if any."""
    for name, (thing, situation) in _HAZARD_IN.items():
        if thing.search(text) and (situation is None or situation.search(text)):
            return name
    return None


PRECAUTIONS = re.compile(
    r"\b(?:unplug|turn (?:it |them |everything )?off|switch (?:it |them )?off|shut (?:it |them )?off|"
    r"put (?:it |the fire )?out|wear|call|phone|ring|consult|ask|check with|talk to|see (?:a|the|my) \w+|"
    r"go to (?:a |the )?(?:doctor|hospital|emergency)|open (?:a |the )?windows?|ventilate|wash|"
    r"keep (?:it |them )?away|lock|supervise|stay with|read the (?:label|instructions)|follow the)\b"
)
"""What makes a question about a hazard a question about a precaution ("Should I unplug the toaster
first?", "Should I call a doctor about this dose?"): the answer there is yes, and it must be said."""
_APPROVING_OPENING = re.compile(
    r"^\W*(?:(?:yes|yeah|yep|sure|absolutely|of course|definitely|certainly|totally)(?!\W*not\b)|"
    r"go ahead|no problem|feel free|(?:it is|it's|that is|that's) (?:(?!not\b|never\b)\w+ )?"
    r"(?:fine|safe|okay|ok|alright|good)|you (?:can|could|may|should)(?!'t| not| never)|"
    r"i (?:can|could|may|should)(?!'t| not| never)|"  # the question answered in the asker's voice
    r"(?:(?:that's|that is|what) an? )?(?:great|good|fine|nice|wonderful|smart|brilliant) idea|"
    r"sounds (?:good|great|fine|like a plan))\b",
    re.IGNORECASE,
)
_APPROVING = re.compile(
    r"\b(?:it is|it's|that is|that's) (?:perfectly |completely |totally |generally |usually )?"
    r"(?:fine|safe|okay|ok|alright) to\b",
    re.IGNORECASE,
)


def risky_question(text: str) -> bool:
    """Whether the user asks if they may do something that touches a household hazard ("Can I leave the
        grill on in the garage?", "Is it okay to give my dog chocolate?"), not whether to take a precaution
    ("Should I unplug the toaster first?")."""
    lowered = text.lower()
    return (
        bool(_PERMISSION.search(lowered)) and hazard(lowered) is not None and not PRECAUTIONS.search(lowered)
    )


_CONDITION = re.compile(r"^\W*(?:if|when|whenever|since|as long as|once)\b[^,]*,\s*", re.IGNORECASE)
"""An opening condition before the main clause: "If it's raining, ..."."""
_YOU_MAY = re.compile(
    r"^(?:you|we) (?:can|could|may|should|might want to|are free to)(?: just| simply| safely| also)? ",
    re.IGNORECASE,
)
"""Leave given before the act ("You can throw water on it."): the same yes as the order alone."""
_NEGATED = re.compile(r"\b(?:not|never|no|avoid|instead|only|away|outside|outdoors)\b|n't\b", re.IGNORECASE)
"""Words that make an imperative about the hazard a warning ("Use it outside only.", "Keep it away")."""
_WORDS = re.compile(r"[a-z]+")
TOLD_SHARE = 2 / 3
"""The share of the asked action's words an imperative must name to be telling the user to do it."""


def _content(text: str) -> set[str]:
    return {w.removesuffix("s") for w in _WORDS.findall(text.lower()) if w not in FUNCTION_WORDS}


def tells_to_do(sentence: str, question: str) -> bool:
    """Whether a sentence of the reply tells the user to do what they asked leave for: an imperative
    (after an opening condition) without a negation or a place that moves the act elsewhere, naming at
    least `TOLD_SHARE` of the words of the asked action. "If it's raining, use charcoal barbecue inside
    the living room." to "It's raining, so is it fine to use my charcoal barbecue inside the living room."
    (Qwen2.5-Coder 0.5B, spoken pass of 2026-12-04): the question said back as an order is a yes, and
    so is the order given as leave ("You can throw water on it.", in any sentence of the reply)."""
    asked = _PERMISSION.search(question.lower())
    action = _content(question.lower()[asked.end() :]) if asked else set()
    body = _YOU_MAY.sub("", _CONDITION.sub("", sentence.strip().replace("’", "'")))
    if len(action) < 2 or _NEGATED.search(body) or not opens_with_a_verb(body):
        return False
    return len(action & _content(body)) >= TOLD_SHARE * len(action)


_WARNS = re.compile(
    r"\b(?:no|not|never|nobody|nothing|none|cannot|avoid|stop|don't|instead|wait|unless|only|"
    r"danger\w*|unsafe|risk\w*|harm\w*|hurt\w*|injur\w*|burn\w*|scald\w*|explo\w*|poison\w*|toxic\w*|"
    r"fumes?|carbon monoxide|chok\w*|drown\w*|shock\w*|electrocut\w*|deadly|fatal\w*|kill\w*|die|dies|"
    r"death|sick|ill|illness|damag\w*|spread\w*|serious\w*|careful\w*|caution\w*|warn\w*|emergency|"
    r"doctor|pharmacist|vet|expert|professional|label|instructions|limit|law|illegal|crime|"
    r"slow\w*|impair\w*|sober|safer|safety|better|please|recommend\w*|advis\w*|suggest\w*)\b|n't\b",
    re.IGNORECASE,
)
"""What a careful answer to a question about a hazard says: a refusal or a negation, the harm, advice, or
who to ask (the vocabulary of poison-control and home-safety advice). An approval is caught before this
(`approves`, `tells_to_do`), so advice words here never let a yes through."""


def warns(sentence: str) -> bool:
    """Whether a sentence of the reply warns, refuses or names the harm ("Never throw water on a grease
    fire.", "Charcoal gives off carbon monoxide.", "Alcohol slows your reactions, so no."); not "The
    living room feels fine." (Qwen2.5-Coder 0.5B to "I've had four beers tonight but I feel fine. Can I
    drive home?", spoken pass of 2026-12-05, the lights dialogue's words in its head)."""
    return bool(_WARNS.search(sentence.replace("’", "'")))


def approves(clause: str, opening: bool) -> bool:
    """Whether a clause of the reply says yes: at the reply's opening ("Yes, ...", "Sure!", "You can
    ...", also after an opening condition: "If the pan is full of grease, you can throw water on it.",
    Qwen2.5-Coder 0.5B in the spoken pass of 2026-12-05) or anywhere ("... it's perfectly fine to ...")."""
    text = clause.strip().replace("’", "'")
    if _APPROVING.search(text):
        return True
    return opening and any(_APPROVING_OPENING.search(t) for t in (text, _CONDITION.sub("", text)))
