"""The commented sample config, generated from the schema's descriptions and examples."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from mailvault.config.durations import format_duration
from mailvault.config.load import _model_in
from mailvault.config.schema import Config

HEADER = """\
# mailvault configuration. Every key is described above its line; commented keys are optional
# alternatives. Secrets belong in files of mode 0600 (`*_file`), a command (`*_command`) or
# the environment (`*_env`) -- inline secrets are refused when this file is readable by others.
"""


def toml_value(value: Any) -> str:
    """Render one value as TOML: ``toml_value(["/a"])`` -> ``'["/a"]'``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, timedelta):
        return json.dumps(format_duration(value))
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(str(k))} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")  # (TOML refuses a raw DEL)


def _key(name: str) -> str:
    """A TOML key: bare when it can be (``mail``), quoted otherwise (``"mail._domainkey.example.org"``:
    bare, its dots would make nested tables)."""
    return name if name and all(c.isalnum() or c in "-_" for c in name) and name.isascii() else json.dumps(name)


def _line(name: str, info: FieldInfo) -> list[str]:
    lines = [f"# {info.description}"] if info.description else []
    example = info.examples[0] if info.examples else None
    if info.is_required():
        lines.append(f"{name} = {toml_value(example)}")
    elif info.default is None or info.default is PydanticUndefined:
        if example is not None and name.endswith("_file"):
            lines.append(f"{name} = {toml_value(example)}")
        elif example is not None:
            lines.append(f"# {name} = {toml_value(example)}")
    else:
        default = info.get_default(call_default_factory=True)
        lines.append(f"{name} = {toml_value(default)}")
    return lines


def _section(
    prefix: str,
    model: type[BaseModel],
    required_only_sections: bool,
    doc: str | None = None,
    default: BaseModel | None = None,
) -> list[str]:
    """``default``: the section's default instance, when its parent gives one (a job's own schedule)."""
    out: list[str] = []
    nested: list[tuple[str, type[BaseModel], bool, str | None, BaseModel | None]] = []
    for name, info in model.model_fields.items():
        sub = _model_in(info.annotation)
        if sub is not None:
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            commented = extra.get("sample") == "commented"
            given = info.get_default(call_default_factory=True) if not info.is_required() else None
            nested.append((
                f"{prefix}.{name}" if prefix else name, sub, commented,
                info.description if commented or isinstance(given, BaseModel) else None,
                given if isinstance(given, BaseModel) else None,
            ))  # fmt: skip
            continue
        if default is not None and getattr(default, name) is not None:
            out.extend([f"# {info.description}"] if info.description else [])
            out.append(f"{name} = {toml_value(getattr(default, name))}")
            continue
        out.extend(_line(name, info))
    if prefix and out:
        heading = [doc] if doc else (model.__doc__ or "").strip().splitlines()[:1]
        out = ["", *(f"# {line}" for line in heading), f"[{prefix}]", *out]
    for child_prefix, child, commented, child_doc, child_default in nested:
        lines = _section(child_prefix, child, required_only_sections, child_doc, child_default)
        if commented:  # an optional section: shown, but off until the operator turns it on
            lines = [line if not line or line.startswith("#") else f"# {line}" for line in lines]
        out.extend(lines)
    return out


def sample_config() -> str:
    """The full commented sample; it validates as written."""
    return HEADER + "\n" + "\n".join(_section("", Config, False)).lstrip("\n") + "\n"
