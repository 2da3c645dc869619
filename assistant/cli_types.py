"""The command line's typed values: argparse calls each with the text given and refuses what it raises
(`argparse.ArgumentTypeError`: "argument --port: 99999: give a port from 0 to 65535")."""

from __future__ import annotations

import argparse
import math


def drift_ppm(value: str) -> float:
    """`--echo-drift-ppm`: a finite number of ppm within `MAX_DRIFT_PPM`; argparse says what is wrong."""
    from assistant.transports.simulate import MAX_DRIFT_PPM

    ppm = _number(value)
    if not math.isfinite(ppm) or abs(ppm) > MAX_DRIFT_PPM:
        raise argparse.ArgumentTypeError(f"{value} ppm: give -{MAX_DRIFT_PPM:g} to {MAX_DRIFT_PPM:g}")
    return ppm


def echo_gain(value: str) -> float:
    """`--echo`: a finite gain in dB up to `MAX_ECHO_DB`; argparse says what is wrong."""
    from assistant.transports.simulate import MAX_ECHO_DB

    gain = _number(value)
    if not math.isfinite(gain) or gain > MAX_ECHO_DB:
        raise argparse.ArgumentTypeError(f"{value} dB: give a gain up to {MAX_ECHO_DB:g} dB, e.g. -6")
    return gain


def seconds_into_reply(value: str) -> float:
    """`--barge-in-after`: 0 to `MAX_BARGE_IN_AFTER_S` seconds; argparse says what is wrong."""
    from assistant.transports.simulate import MAX_BARGE_IN_AFTER_S

    after = _number(value)
    if not 0 <= after <= MAX_BARGE_IN_AFTER_S:
        raise argparse.ArgumentTypeError(f"{value} s: give 0 to {MAX_BARGE_IN_AFTER_S:g} s")
    return after


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None


def echo_delays(value: str) -> list[int]:
    """`--echo-delay-ms`: one delay in ms, or one per input ("160,40": the last holds for the inputs after
    it), each whole and within `MAX_ECHO_DELAY_MS`; argparse says what is wrong."""
    from assistant.transports.simulate import MAX_ECHO_DELAY_MS

    delays = []
    for item in value.split(","):
        try:
            delay = int(item)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number of ms: {item!r}") from None
        if not 0 <= delay <= MAX_ECHO_DELAY_MS:
            raise argparse.ArgumentTypeError(f"{delay} ms: give 0 to {MAX_ECHO_DELAY_MS} ms")
        delays.append(delay)
    return delays


def port(value: str) -> int:
    """`--port`: a TCP port, 0 (any free one) to 65535. The socket layer had taken 99999 as 34463 (99999
    modulo 65536) and listened there without a word."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number}: give a port from 0 to 65535 (0: any free one)")
    return number
