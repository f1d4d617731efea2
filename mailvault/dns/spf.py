"""SPF records, as far as a cutover needs them: find the domain's SPF, add and remove ``ip4:``/``ip6:``
senders, and tell whether an address is allowed by the mechanisms that can be judged without more
lookups. Pure."""

from __future__ import annotations

import ipaddress

_IP_MECHANISMS = ("ip4:", "ip6:", "+ip4:", "+ip6:")


def find_spf(txt_values: tuple[str, ...]) -> str | None:
    """The SPF record among a name's TXT values (each in zone-file quoting), unquoted, or None.

    >>> find_spf(('"v=DMARC1; p=none"', '"v=spf1 ip4:192.0.2.1 -all"'))
    'v=spf1 ip4:192.0.2.1 -all'
    """
    for value in txt_values:
        text = unquote(value)
        if text.lower().startswith("v=spf1 ") or text.lower() == "v=spf1":
            return text
    return None


def unquote(value: str) -> str:
    """Zone-file TXT text (``"a" "b"``: one or more quoted strings) to its content (``ab``)."""
    parts: list[str] = []
    in_string, escaped, current = False, False, ""
    for ch in value:
        if escaped:
            current += ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            if in_string:
                parts.append(current)
                current = ""
            in_string = not in_string
        elif in_string:
            current += ch
    return "".join(parts) if parts else value


def quote(text: str) -> str:
    """TXT content to zone-file text, split in strings of at most 255 bytes."""
    chunks = [text[i : i + 255] for i in range(0, len(text), 255)] or [""]
    return " ".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks)


def _sender(ip: str) -> str:
    return ("ip6:" if ipaddress.ip_address(ip).version == 6 else "ip4:") + ip


def add_senders(spf: str, ips: list[str]) -> str:
    """``spf`` with an ``ip4:``/``ip6:`` mechanism for each of ``ips`` it does not list yet, placed
    before the final ``all``.

    >>> add_senders("v=spf1 mx -all", ["192.0.2.7"])
    'v=spf1 mx ip4:192.0.2.7 -all'
    """
    terms = spf.split()
    missing = [_sender(ip) for ip in ips if _sender(ip) not in terms and "+" + _sender(ip) not in terms]
    tail = [t for t in terms[1:] if t.lstrip("+-~?").lower() in ("all",) or t.lower().startswith("redirect=")]
    body = [t for t in terms[1:] if t not in tail]
    return " ".join([terms[0], *body, *missing, *tail])


def remove_senders(spf: str, ips: list[str]) -> str:
    """``spf`` without the ``ip4:``/``ip6:`` mechanisms naming exactly ``ips``."""
    drop = {_sender(ip) for ip in ips} | {"+" + _sender(ip) for ip in ips}
    return " ".join(t for t in spf.split() if t not in drop)


def allows(spf: str, ip: str, *, mx_addresses: set[str], apex_addresses: set[str]) -> bool | None:
    """Whether ``spf`` passes ``ip`` through ``ip4``/``ip6``/``mx``/``a`` mechanisms; None when that
    cannot be told without following ``include:``/``redirect=``/``exists:``.

    >>> allows("v=spf1 ip4:192.0.2.0/24 -all", "192.0.2.9", mx_addresses=set(), apex_addresses=set())
    True
    """
    address = ipaddress.ip_address(ip)
    undecided = False
    for term in spf.split()[1:]:
        qualifier = term[0] if term[0] in "+-~?" else "+"
        mechanism = term.lstrip("+-~?").lower()
        if mechanism.startswith(("ip4:", "ip6:")):
            try:
                network = ipaddress.ip_network(mechanism[4:], strict=False)
            except ValueError:
                continue
            if address.version == network.version and address in network:
                return qualifier == "+"
        elif mechanism in ("mx", "a"):
            if ip in (mx_addresses if mechanism == "mx" else apex_addresses):
                return qualifier == "+"
        elif mechanism.startswith(("include:", "redirect=", "exists:", "mx:", "a:", "ptr")):
            undecided = True
        elif mechanism == "all":
            return None if undecided else qualifier == "+"
    return None if undecided else False
