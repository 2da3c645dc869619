"""The time and date, here or anywhere: zoneinfo with the `tzdata` package, needing no system zone files."""

from __future__ import annotations

import functools
from datetime import datetime, tzinfo
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from assistant.tools.builtin.speech import spoken_clock, spoken_date
from assistant.tools.context import ToolContext
from assistant.tools.declare import tool
from assistant.tools.intent.text import sound_index, sounds_like

_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")

# Abbreviations and spoken zone names: people say "Eastern time" for New York whether or not DST is on.
_ABBREVIATIONS: dict[str, tuple[str, str]] = {
    "utc": ("UTC", "UTC"),
    "gmt": ("UTC", "GMT"),
    "z": ("UTC", "UTC"),
    "zulu": ("UTC", "UTC"),
    "est": ("America/New_York", "Eastern time"),
    "edt": ("America/New_York", "Eastern time"),
    "et": ("America/New_York", "Eastern time"),
    "eastern": ("America/New_York", "Eastern time"),
    "cst": ("America/Chicago", "Central time"),
    "cdt": ("America/Chicago", "Central time"),
    "central": ("America/Chicago", "Central time"),
    "mst": ("America/Denver", "Mountain time"),
    "mdt": ("America/Denver", "Mountain time"),
    "mountain": ("America/Denver", "Mountain time"),
    "pst": ("America/Los_Angeles", "Pacific time"),
    "pdt": ("America/Los_Angeles", "Pacific time"),
    "pt": ("America/Los_Angeles", "Pacific time"),
    "pacific": ("America/Los_Angeles", "Pacific time"),
    "akst": ("America/Anchorage", "Alaska time"),
    "hst": ("Pacific/Honolulu", "Hawaii time"),
    "bst": ("Europe/London", "British time"),
    "wet": ("Europe/Lisbon", "Western European time"),
    "cet": ("Europe/Berlin", "Central European time"),
    "cest": ("Europe/Berlin", "Central European time"),
    "eet": ("Europe/Athens", "Eastern European time"),
    "msk": ("Europe/Moscow", "Moscow time"),
    "ist": ("Asia/Kolkata", "India time"),
    "jst": ("Asia/Tokyo", "Japan time"),
    "kst": ("Asia/Seoul", "Korea time"),
    "aest": ("Australia/Sydney", "Sydney time"),
    "aedt": ("Australia/Sydney", "Sydney time"),
}

# Places people ask about that are not the last part of an IANA zone name.
_PLACES: dict[str, str] = {
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "las vegas": "America/Los_Angeles",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "washington dc": "America/New_York",
    "miami": "America/New_York",
    "atlanta": "America/New_York",
    "philadelphia": "America/New_York",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "austin": "America/Chicago",
    "montreal": "America/Toronto",
    "beijing": "Asia/Shanghai",
    "mumbai": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "barcelona": "Europe/Madrid",
    "milan": "Europe/Rome",
    "geneva": "Europe/Zurich",
    "kiev": "Europe/Kyiv",
    "saint petersburg": "Europe/Moscow",
    "st petersburg": "Europe/Moscow",
    "osaka": "Asia/Tokyo",
    "hanoi": "Asia/Bangkok",
    "rio de janeiro": "America/Sao_Paulo",
    "rio": "America/Sao_Paulo",
    "cape town": "Africa/Johannesburg",
    "japan": "Asia/Tokyo",
    "china": "Asia/Shanghai",
    "india": "Asia/Kolkata",
    "germany": "Europe/Berlin",
    "france": "Europe/Paris",
    "italy": "Europe/Rome",
    "spain": "Europe/Madrid",
    "england": "Europe/London",
    "uk": "Europe/London",
    "united kingdom": "Europe/London",
    "ireland": "Europe/Dublin",
    "korea": "Asia/Seoul",
    "south korea": "Asia/Seoul",
    "new zealand": "Pacific/Auckland",
    "hawaii": "Pacific/Honolulu",
    "alaska": "America/Anchorage",
}


def _key(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace(".", "").split())


@functools.cache
def _cities() -> dict[str, str]:
    """Last part of each IANA zone ("new york") to the zone; regional names win over legacy aliases."""
    index: dict[str, str] = {}
    for name in sorted(available_timezones(), key=lambda z: (z.split("/")[0] not in _REGIONS, len(z), z)):
        index.setdefault(_key(name.rsplit("/", 1)[-1]), name)
    return index


def resolve_zone(name: str) -> tuple[tzinfo, str]:
    """The zone for an IANA name, a city, a country or an abbreviation, and how to say it."""
    text = name.strip()
    key = _key(text).removesuffix(" time").removesuffix(" standard").removeprefix("the ").strip()
    if key in _ABBREVIATIONS:
        zone, spoken = _ABBREVIATIONS[key]
        return ZoneInfo(zone), spoken
    if "/" in text:
        try:
            zone = ZoneInfo(text.replace(" ", "_"))
            return zone, text.rsplit("/", 1)[-1].replace("_", " ")
        except (ZoneInfoNotFoundError, ValueError):
            # zoneinfo names are case-sensitive; find the canonical spelling.
            wanted = text.replace(" ", "_").lower()
            for candidate in available_timezones():
                if candidate.lower() == wanted:
                    return ZoneInfo(candidate), candidate.rsplit("/", 1)[-1].replace("_", " ")
    zone_name = _PLACES.get(key) or _cities().get(key)
    if zone_name is not None:
        return ZoneInfo(zone_name), text.strip().title() if text.islower() else text.strip()
    place = _sounds_like(key)
    if place is None:
        raise ValueError(f"I don't know the time zone {text}.")
    return ZoneInfo(_PLACES.get(place) or _cities()[place]), place.title()


SOUNDS_LIKE_RATIO = 70
"""How alike in spelling (rapidfuzz's ratio, 0-100) a misheard place must also be to the one it sounds
like: "pairs" and "paris" 80, "roam" and "rome" 75; "sit me" and "sao tome" 57 (it was Sydney)."""


@functools.cache
def _by_sound() -> dict[str, list[str]]:
    """The places by sound key: the cities of the regions' zones and `_PLACES`, not names such as "MST"
    ("must")."""
    return sound_index([*_PLACES, *(p for p, zone in _cities().items() if zone.split("/")[0] in _REGIONS)])


def _sounds_like(key: str) -> str | None:
    """The one place that a name no zone has sounds like and is spelled alike (`SOUNDS_LIKE_RATIO`), or
    None: Whisper's "pairs" for Paris. The place is said back ("In Paris, it's ..."), so a wrong guess is
    heard. "tokio" sounds like Tokyo and Dhaka, "here" too little like anything."""
    return sounds_like(key, _by_sound(), SOUNDS_LIKE_RATIO)


def local_zone(ctx: ToolContext) -> tzinfo:
    """The person's zone: the configured one, else this machine's."""
    if ctx.timezone:
        try:
            return resolve_zone(ctx.timezone)[0]
        except ValueError:
            pass
    local = datetime.now().astimezone().tzinfo
    assert local is not None
    return local


@tool(
    timeout_s=2.0,
    examples=[
        "what time is it",
        "what's the time",
        "what's the date today",
        "what day is it",
        "what time is it in Tokyo",
        "tell me the time in New York",
        "what's the time in London right now",
        "what time is it in Pacific time",
    ],
)
def current_time(
    ctx: ToolContext,
    timezone: Annotated[str | None, "a city or IANA time zone, e.g. Tokyo or Europe/Paris"] = None,
) -> str:
    """Tell the current time and date, here or in another city or time zone."""
    if timezone and timezone.strip():
        zone, spoken = resolve_zone(timezone)
        now = datetime.now(zone)
        lead = (
            f"It's {spoken_clock(now)} {spoken}"
            if spoken.endswith(("time", "UTC", "GMT"))
            else f"In {spoken}, it's {spoken_clock(now)}"
        )
        return f"{lead} on {spoken_date(now)}."
    now = datetime.now(local_zone(ctx))
    return f"It's {spoken_clock(now)} on {spoken_date(now)}."
