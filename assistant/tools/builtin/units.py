"""Unit conversion with pint, from the names people say ("degrees Fahrenheit", "kilos", "miles an hour")."""

from __future__ import annotations

import functools
import re
import threading
from typing import TYPE_CHECKING, Annotated, Any

from assistant.tools.builtin.speech import spoken_number
from assistant.tools.declare import NotUnderstood, tool
from assistant.tools.intent.text import sound_index, sounds_like

if TYPE_CHECKING:
    import pint

# Spoken names pint does not know, or knows as something else ("kilos" would be kiloseconds).
_SAID: dict[str, str] = {
    # pint unit: what people say for it, comma-separated (already lowercase, no dots, spaced)
    "degC": "c, °c, degc, celsius, centigrade, degree c, degrees c, degree celsius, degrees celsius, "
    "degrees centigrade",
    "degF": "f, °f, degf, fahrenheit, degree f, degrees f, degree fahrenheit, degrees fahrenheit",
    "kelvin": "k, kelvin, kelvins, degree kelvin, degrees kelvin",
    "kilogram": "kilo, kilos",
    "mile / hour": "mph, miles an hour, miles per hour, mile per hour",
    "kilometer / hour": "kph, kmh, km/h, kmph, kilometers an hour, kilometers per hour, kilometer per hour",
    "meter / second": "m/s, meters a second, meters per second",
    "fluid_ounce": "fl oz, fluid ounce, fluid ounces, fl ounces",
    "foot ** 2": "sq ft, square foot, square feet",
    "meter ** 2": "sq m, square meter, square meters",
    "centimeter ** 3": "cc, ccs",
    "pound_force_per_square_inch": "psi",
}
_ALIASES = {name.strip(): unit for unit, names in _SAID.items() for name in names.split(",")}
_EVERYDAY = """liters milliliters gallons quarts pints cups tablespoons teaspoons ounces pounds grams
    kilograms milligrams stones tons meters kilometers centimeters millimeters inches feet yards miles celsius
    fahrenheit kelvin acres hectares seconds minutes hours days weeks years calories joules watts
    kilowatts""".split()
"""Units people ask to convert, by name: what a misheard unit is compared with (`_sounds_like`)."""
_TEMPERATURES = {"degC", "degF", "kelvin"}
_SPOKEN: dict[str, tuple[str, str]] = {
    # pint's unit name: (one, many)
    "degree_Celsius": ("degree Celsius", "degrees Celsius"),
    "degree_Fahrenheit": ("degree Fahrenheit", "degrees Fahrenheit"),
    "kelvin": ("kelvin", "kelvin"),
    "foot": ("foot", "feet"),
    "pound_force_per_square_inch": ("pound per square inch", "pounds per square inch"),
}
_UNCHANGED_PLURALS = ("hertz", "siemens", "lux", "celsius", "fahrenheit", "stone")

_BY_SOUND = sound_index(_EVERYDAY)
_lock = threading.RLock()  # re-entered when ounces turn out to be fluid ounces


@functools.cache
def _registry() -> pint.UnitRegistry:
    """Built on first use: importing pint and loading its definitions takes a few hundred milliseconds."""
    import pint

    return pint.UnitRegistry(autoconvert_offset_to_baseunit=False)


def _key(text: str) -> str:
    text = " ".join(text.lower().replace("-", " ").replace(".", "").split())
    text = re.sub(r"^(?:the|a|an|in|into|to)\s+", "", text)
    return text.replace("litre", "liter").replace("metre", "meter")


def _pluralise(word: str) -> str:
    if word.lower().endswith(_UNCHANGED_PLURALS) or word.endswith("s"):
        return word
    if word.endswith("inch"):
        return word + "es"
    if word.endswith("foot"):
        return word[:-4] + "feet"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


def _single(name: str, many: bool) -> str:
    if name in _SPOKEN:
        return _SPOKEN[name][many]
    if "_per_" in name:
        top, bottom = name.split("_per_", 1)
        return f"{_single(top, many)} per {_single(bottom, False)}"
    words = name.replace("_", " ")
    return _pluralise(words) if many else words


def _term(term: str, many: bool) -> str:
    """ "foot ** 2" -> "square feet"."""
    name, _, power = term.partition(" ** ")
    spoken = _single(name, many)
    powers = {"": spoken, "2": f"square {spoken}", "3": f"cubic {spoken}"}
    return powers.get(power, f"{spoken} to the power of {power}")


def spoken_unit(units: Any, amount: float = 2) -> str:
    """How to say a pint unit after a number: "kilometers", "degrees Celsius", "miles per hour"."""
    many = amount != 1
    top, _, bottom = str(units).partition(" / ")
    top_terms = [t for t in top.split(" * ") if t != "1"]
    words = [_term(t, many and i == len(top_terms) - 1) for i, t in enumerate(top_terms)]
    if bottom:
        words.append("per " + " per ".join(_term(t, False) for t in bottom.split(" * ")))
    return " ".join(words)


def _parse(text: str, other: str) -> Any:
    """A pint unit from what someone said; bare "degrees" next to a temperature is the other scale."""
    registry = _registry()
    key = _key(text)
    if not key or len(key) > 60 or not re.fullmatch(r"[a-z°µ/*^ ]+\d?", key):
        raise NotUnderstood(f"I don't know the unit {text.strip() or 'you said'}.")
    if key in ("degree", "degrees") and _ALIASES.get(_key(other)) in _TEMPERATURES:
        key = "degF" if _ALIASES[_key(other)] != "degF" else "degC"
    key = _ALIASES.get(key, key)
    # The spelling as said first, for case-sensitive symbols ("GB", "MW"), then the tidied forms.
    as_said = key if key in _ALIASES.values() else text.strip()
    for candidate in dict.fromkeys((as_said, key, key.replace(" ", "_"), _sounds_like(key))):
        if not candidate:
            continue  # pint reads "" as dimensionless
        try:
            return registry.parse_units(candidate)
        except Exception:
            continue
    raise NotUnderstood(f"I don't know the unit {text.strip()}.")


def _sounds_like(key: str) -> str:
    """The everyday unit that a name pint does not know sounds exactly like, or "": Whisper's "leaders"
    for liters, "salsa" for Celsius (`intent.text.sounds_like`, whose key ignores vowels and voicing).
    Only an identical key that one unit alone has counts: "dollars" is no liters, and "pants" is pints or
    pounds."""
    return sounds_like(key, _BY_SOUND) or ""


def _amount(value: float) -> str:
    """3 significant digits, but whole numbers from 100 on keep their digits: "8.05", "212", "1609"."""
    if 100 <= abs(value) < 1e6:
        return spoken_number(round(value))
    return spoken_number(value, significant=3, scale_words=True)


def convert(value: float, from_unit: str, to_unit: str) -> tuple[float, Any, Any]:
    """The converted amount and the pint units on both sides; ValueError says what cannot be done."""
    import pint

    with _lock:
        source, target = _parse(from_unit, to_unit), _parse(to_unit, from_unit)
        quantity = _registry().Quantity(value, source)
        try:
            result = quantity.to(target)
        except pint.DimensionalityError:
            # "ounces" of milk are fluid ounces.
            if str(source) == "ounce" and _registry().Quantity(1, target).check("[volume]"):
                return convert(value, "fluid ounce", to_unit)
            if str(target) == "ounce" and _registry().Quantity(1, source).check("[volume]"):
                return convert(value, from_unit, "fluid ounce")
            raise NotUnderstood(f"I can't convert {spoken_unit(source)} to {spoken_unit(target)}.") from None
        except pint.PintError:
            raise NotUnderstood(f"I can't convert {spoken_unit(source)} to {spoken_unit(target)}.") from None
    return float(result.magnitude), source, target


@tool(
    timeout_s=3.0,
    examples=[
        "convert 5 miles to kilometers",
        "how many pounds is 3 kilos",
        "what's 70 degrees Fahrenheit in Celsius",
        "how many cups are in a liter",
        "how many feet is 2 meters",
        "change 100 kilometers per hour into miles per hour",
        "what is 12 ounces in grams",
        "how many inches in 30 centimeters",
    ],
)
def convert_units(
    value: float,
    from_unit: Annotated[str, "e.g. miles, kg, degrees Fahrenheit"],
    to_unit: Annotated[str, "e.g. kilometers, pounds, Celsius"],
) -> str:
    """Convert an amount between units of length, weight, volume, temperature, speed and more."""
    result, source, target = convert(value, from_unit, to_unit)
    amount = _amount(result)
    answer = (
        f"{spoken_number(value)} {spoken_unit(source, value)} is "
        f"{amount} {spoken_unit(target, 1 if amount == '1' else 2)}."
    )
    return answer[0].upper() + answer[1:]
