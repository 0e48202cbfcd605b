"""Typed values of left and right operands: date-times, durations, numbers, versions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from hinterland.errors import PolicyError

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_datetime(text: str, *, where: str = "value") -> datetime:
    """An ISO 8601 date-time; without an offset it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise PolicyError(f"{where}: {text!r} is not an ISO 8601 date-time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_date_or_datetime(text: str, *, where: str = "value") -> datetime | date:
    """`xsd:date` values stay dates (compared by calendar day); the rest are date-times."""
    stripped = text.strip()
    if len(stripped) == 10 and stripped[4] == "-" and stripped[7] == "-":
        try:
            return date.fromisoformat(stripped)
        except ValueError:
            raise PolicyError(f"{where}: {text!r} is not an ISO 8601 date") from None
    return parse_datetime(stripped, where=where)


def parse_duration(text: str, *, where: str = "value") -> timedelta:
    """An `xsd:duration` such as `P30D` or `PT12H` (a year counts 365 days, a month 30)."""
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT", "-P"):
        raise PolicyError(f"{where}: {text!r} is not an ISO 8601 duration (e.g. P30D, PT1H)")
    part = {k: float(v) if v else 0.0 for k, v in match.groupdict().items() if k != "sign"}
    days = part["y"] * 365 + part["mo"] * 30 + part["w"] * 7 + part["d"]
    delta = timedelta(days=days, hours=part["h"], minutes=part["mi"], seconds=part["s"])
    return -delta if match.group("sign") else delta


def parse_decimal(text: str, *, where: str = "value") -> Decimal:
    """A decimal number."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise PolicyError(f"{where}: {text!r} is not a number") from None
    if not value.is_finite():
        raise PolicyError(f"{where}: {text!r} is not a finite number")
    return value


def parse_count(text: str, *, where: str = "value") -> int:
    """A non-negative whole number."""
    number = parse_decimal(text, where=where)
    if number != number.to_integral_value() or number < 0:
        raise PolicyError(f"{where}: count {text!r} is not a non-negative whole number")
    return int(number)


def parse_version(text: str) -> tuple[int | str, ...]:
    """`2.10.1` -> (2, 10, 1), so versions order numerically, part by part."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-+]", text.strip()))


def format_datetime(value: datetime | date) -> str:
    """ISO 8601 with `Z` for UTC and milliseconds when present."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
        return text.replace("+00:00", "Z")
    return value.isoformat()


def format_duration(value: timedelta) -> str:
    """`P30D`, `PT1H30M`... for reports."""
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = f"{sign}P" + (f"{days}D" if days else "")
    if hours or minutes or secs or not days:
        out += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
        out += f"{secs}S" if secs or not (hours or minutes) else ""
    return out
