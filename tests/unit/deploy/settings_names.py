"""Which `HINTERLAND_*` environment variables a server really reads."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def reads(settings_class: type[BaseModel], variable: str) -> bool:
    """True when `variable` (HINTERLAND_A__B__C) names a field of `settings_class`."""
    if not variable.startswith("HINTERLAND_"):
        return False
    model: Any = settings_class
    parts = variable.removeprefix("HINTERLAND_").lower().split("__")
    for index, part in enumerate(parts):
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return False
        annotation = fields[part].annotation
        if index < len(parts) - 1:
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return False
            model = annotation
    return True
