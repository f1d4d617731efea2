"""The config setup writes, each value under a comment saying where it came from; and the edit of
``--update``, which rewrites only the [sources] keys setup owns and leaves every other line as the
operator left it. Pure: text in, text out (the caller validates and writes it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mailvault.config.sample import toml_value
from mailvault.setup.host import HostView

HEADER = """\
# mailvault configuration, written by `mailvault setup` on {date} from what this host's own tools say.
# The comment above each value says where it came from. `mailvault setup --check` reports what has
# changed on the host since (a moved store, a new DKIM key, a new domain); `setup --update` takes it in.
"""
FOUND = "found: "  # marks the comments setup owns: --update replaces them, never the operator's own


@dataclass(frozen=True)
class Repository:
    url: str
    url_how: str
    password_file: str
    password_how: str
    access_key_file: str | None = None
    secret_key_file: str | None = None
    keys_how: str = ""


def comment(how: str) -> str:
    """One comment line, whatever the text holds (a path with a newline stays on its line).

    >>> comment("from /etc/x\\ny\\x7f")
    '# from /etc/x\\\\ny\\\\x7f'
    """
    return "# " + "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in how)


def sources_lines(view: HostView) -> dict[str, tuple[list[str], Any]]:
    """The [sources] keys setup owns: key -> (the comment lines above it, value)."""
    store = view.store
    lines: dict[str, tuple[list[str], Any]] = {
        "maildirs": ([store.how], list(store.maildirs)),
        "layout": (["the same"], store.layout),
        "folder_layout": (["the same"], store.folder_layout),
    }
    if store.layout == "dovecot":
        conf = view.dovecot_config or "/etc/dovecot/dovecot.conf"
        lines["dovecot_config"] = (["the Dovecot config setup read"], conf)
    lines["config"] = ([f"{k.value}: {k.how}" for k in view.config_dirs], [k.value for k in view.config_dirs])
    lines["keys"] = ([f"{k.value}: {k.how}" for k in view.key_dirs], [k.value for k in view.key_dirs])
    return lines


def render(view: HostView, repo: Repository, *, state_dir: str, runtime: str, date: str) -> str:
    """The whole config for a new host."""
    out = [
        HEADER.format(date=date),
        "[repository]",
        comment(repo.url_how),
        f"url = {toml_value(repo.url)}",
        comment(repo.password_how),
        f"password_file = {toml_value(repo.password_file)}",
    ]
    if repo.access_key_file and repo.secret_key_file:
        out += [
            "",
            "[repository.s3]",
            comment(repo.keys_how),
            f"access_key_id_file = {toml_value(repo.access_key_file)}",
            f"secret_access_key_file = {toml_value(repo.secret_key_file)}",
        ]
    out += ["", "[sources]"]
    for key, (hows, value) in sources_lines(view).items():
        out += [*(comment(FOUND + how) for how in hows), f"{key} = {toml_value(value)}"]
    out += [
        "",
        "[state]",
        "# where runs, manifests and the coverage are kept",
        f"dir = {toml_value(state_dir)}",
        "",
        "[targets]",
        "# the promise each drill is judged against: change them to yours",
        'rpo = "26h"',
        'rto = "1h"',
        "",
        "[drill]",
        "# where the drill restores (auto: docker or podman)",
        f"runtime = {toml_value(runtime)}",
    ]
    if view.dkim:
        out += [
            "",
            "# The DKIM keys the signer names. Each drill can prove the restored key still matches DNS:",
            "# uncomment with [drill] dns_resolvers set (the resolvers to ask).",
            "# [drill.dkim]",
        ]
        for record, known in sorted(view.dkim.items()):
            out += [comment(known.how), f"# {toml_value(record)} = {toml_value(known.value)}"]
    return "\n".join(out) + "\n"


_TABLE = re.compile(r"^\s*\[")


def update_sources(text: str, view: HostView) -> str | None:
    """``text`` with setup's [sources] keys set from ``view``; every other line unchanged. A key
    written as one line is replaced with its comment; a missing key is added after the table's
    header. None when [sources] cannot be found or a key spans lines (the operator edits it)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "[sources]"), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if _TABLE.match(lines[i])), len(lines))
    body = lines[start + 1 : end]
    for key, (hows, value) in sources_lines(view).items():
        new = [*(comment(FOUND + how) for how in hows), f"{key} = {toml_value(value)}"]
        at = next((i for i, line in enumerate(body) if re.match(rf"\s*{key}\s*=", line)), None)
        if at is None:
            body[0:0] = new
            continue
        if body[at].count("[") != body[at].count("]") or body[at].rstrip().endswith("\\"):
            return None
        first = at
        while first > 0 and body[first - 1].lstrip().startswith("# " + FOUND):
            first -= 1
        body[first : at + 1] = new
    return "\n".join([*lines[: start + 1], *body, *lines[end:]]) + "\n"
