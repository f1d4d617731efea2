"""Finding, reading and validating the config file.

Problems are reported as ``path.to.key: message``; unknown keys get a
"did you mean" hint drawn from the schema itself.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mailvault.config import textfile
from mailvault.config.schema import Config
from mailvault.config.where import DEFAULT_CONFIG_PATH, ENV_VAR, config_path
from mailvault.errors import ConfigError
from mailvault.keys.secrets import refuse_if_readable_by_others

__all__ = ["DEFAULT_CONFIG_PATH", "ENV_VAR", "config_path", "load_config", "problems", "read_toml"]


def read_toml(path: Path) -> dict[str, Any]:
    """Parse the config file ``path`` as TOML; raise ConfigError naming the file and the fix on failure."""
    return textfile.read_toml(
        path, what="config file", missing_hint="write one with `mailvault config init`, or pass --config"
    )


def problems(data: dict[str, Any]) -> list[str]:
    """Every problem in ``data`` as ``path.to.key: message``; empty when it is a valid config.

    >>> problems({"repository": {"url": "/r", "password_file": "/k"}, "sources": {"maildirs": ["/m"]}})
    []
    """
    try:
        Config.model_validate(data)
    except ValidationError as exc:
        return [_describe(err) for err in exc.errors()]
    return []


def _describe(err: Any) -> str:
    loc = tuple(str(part) for part in err["loc"])
    where = ".".join(loc) or "(top level)"
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
        known = _fields_at(loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
        if close:
            message += f"; did you mean {close[0]!r}?"
        elif known:
            message += f"; known keys here: {', '.join(sorted(known))}"
    elif err["type"] == "missing":
        message = "required key is missing"
    return f"{where}: {message}"


def _fields_at(loc: tuple[str, ...]) -> list[str]:
    model: type[BaseModel] = Config
    for part in loc:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        inner = _model_in(annotation)
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def load_config(path: Path) -> Config:
    """Read, validate and return the config at ``path``.

    Raise ConfigError with the first problem (and how many more) when invalid,
    SecretError when the file holds secrets but others may read it.
    """
    data = read_toml(path)
    found = problems(data)
    if found:
        more = f" (and {len(found) - 1} more: run `mailvault config validate`)" if len(found) > 1 else ""
        raise ConfigError(f"{path}: {found[0]}{more}", details=found)
    config = Config.model_validate(data)
    if config.has_inline_secrets():
        refuse_if_readable_by_others(path, what="config file holding secrets")
    return config
