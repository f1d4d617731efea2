"""Resource-record sets as mailvault reasons about them: absolute lower-case names, a type, a TTL and
the record data in canonical text, sorted. Pure; dnspython stays in :mod:`mailvault.dns.query`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def absolute(name: str, zone: str | None = None) -> str:
    """``"mx"`` in zone ``"example.org"`` -> ``"mx.example.org."``; absolute names are only lower-cased.

    >>> absolute("MX.Example.org")
    'mx.example.org.'
    >>> absolute("@", "example.org")
    'example.org.'
    """
    name = name.strip().lower()
    if name.endswith("."):
        return name
    if zone is None:
        return name + "."
    apex = zone.lower().rstrip(".")
    if name == "@":
        return apex + "."
    if name == apex or name.endswith("." + apex):
        return name + "."
    return f"{name}.{apex}."


@dataclass(frozen=True)
class RRset:
    """One name and type with its TTL and record data, e.g.
    ``RRset("example.org.", "MX", 3600, ("10 mx.example.org.",))``."""

    name: str
    rtype: str
    ttl: int
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", absolute(self.name))
        object.__setattr__(self, "rtype", self.rtype.upper())
        object.__setattr__(self, "values", tuple(sorted(self.values)))

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.rtype)

    def same_data(self, other: RRset | None) -> bool:
        return other is not None and other.key == self.key and other.values == self.values

    def with_ttl(self, ttl: int) -> RRset:
        return RRset(self.name, self.rtype, ttl, self.values)

    def text(self) -> list[str]:
        """Zone-file lines, e.g. ``["example.org. 300 IN MX 10 mx.example.org."]``."""
        return [f"{self.name} {self.ttl} IN {self.rtype} {v}" for v in self.values]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.rtype, "ttl": self.ttl, "values": list(self.values)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> RRset:
        return RRset(str(data["name"]), str(data["type"]), int(data["ttl"]), tuple(str(v) for v in data["values"]))


@dataclass(frozen=True)
class Change:
    """One RRset going from ``before`` to ``after`` (``None``: absent). Either side names the RRset."""

    before: RRset | None
    after: RRset | None

    def __post_init__(self) -> None:
        if self.before is None and self.after is None:
            raise ValueError("a change needs a before or an after")
        if self.before is not None and self.after is not None and self.before.key != self.after.key:
            raise ValueError("a change keeps its name and type")

    @property
    def key(self) -> tuple[str, str]:
        either = self.after or self.before
        assert either is not None
        return either.key

    @property
    def inverse(self) -> Change:
        return Change(self.after, self.before)

    @property
    def noop(self) -> bool:
        return self.before == self.after

    def describe(self) -> str:
        """``"MX example.org.: 3600 [10 mx.old.] -> 300 [10 mx.new.]"``."""
        name, rtype = self.key

        def side(r: RRset | None) -> str:
            return "absent" if r is None else f"{r.ttl} [{', '.join(r.values)}]"

        return f"{rtype} {name}: {side(self.before)} -> {side(self.after)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "before": self.before.as_dict() if self.before else None,
            "after": self.after.as_dict() if self.after else None,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Change:
        return Change(
            RRset.from_dict(data["before"]) if data.get("before") else None,
            RRset.from_dict(data["after"]) if data.get("after") else None,
        )
