"""`mailvault dns` against a real BIND9 authority (TSIG-signed RFC 2136 updates) and a real caching
BIND9 resolver whose remaining TTLs count down. TTLs of a few seconds keep the waits short."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update
import pytest

from mailvault.demo.bind import KEY_NAME, BindAuthority, BindResolver, demo_zone, free_dns_port
from mailvault.dns.tsig import load_key
from tests.e2e.workspace import Workspace

ZONE = "example.test"
OLD_TTL = 15  # long enough that a loaded 2-core machine reaches the gate before it runs out


@dataclass
class Dns:
    ws: Workspace
    authority: BindAuthority
    resolver: BindResolver
    name: str = ZONE

    def zone_state(self) -> dict[str, tuple[int, list[str]] | None]:
        """Every RRset the tests care about, with its TTL, as the authority serves it."""
        state: dict[str, tuple[int, list[str]] | None] = {}
        z = self.name
        names = [
            (z, "MX"),
            (z, "TXT"),
            (z, "NS"),
            (f"mx.old-provider.{z}", "A"),
            (f"mx.new.{z}", "A"),
            (f"_dmarc.{z}", "TXT"),
        ]
        for name, rtype in names:
            response = self.ask(self.authority.port, name, rtype)
            rrset = next((r for r in response.answer if r.rdtype == dns.rdatatype.from_text(rtype)), None)
            state[f"{rtype} {name}."] = None if rrset is None else (rrset.ttl, sorted(r.to_text() for r in rrset))
        return state

    @staticmethod
    def ask(port: int, name: str, rtype: str) -> dns.message.Message:
        return dns.query.udp(dns.message.make_query(name, rtype), "127.0.0.1", port=port, timeout=2)

    def prime_resolver(self) -> None:
        """The resolver caches the MX (as an ISP resolver would have) so the gate has something to wait for."""
        self.ask(self.resolver.port, self.name, "MX")
        self.ask(self.resolver.port, "mx.new." + self.name, "A")  # and caches that the new name does not exist

    def edit(self, name: str, rtype: str, ttl: int, *values: str) -> None:
        """Somebody else's edit, with the real key."""
        key = load_key(self.authority.key_file)
        update = dns.update.UpdateMessage(
            self.name,
            keyring=dns.tsigkeyring.from_text({key.name: (key.algorithm, key.secret)}),
            keyname=dns.name.from_text(key.name),
        )
        update.replace(dns.name.from_text(name), ttl, rtype, *values)  # absolute: not relative to the zone
        assert dns.query.tcp(update, "127.0.0.1", port=self.authority.port, timeout=3).rcode() == dns.rcode.NOERROR

    def cli(self, *args: str, check: bool = True) -> tuple[int, str, str]:
        proc = self.ws.cli("dns", *args, check=check, env={"COLUMNS": "200"})
        return proc.returncode, proc.stdout, proc.stderr

    def json(self, *args: str, check: bool = True) -> tuple[int, object]:
        proc = self.ws.cli("dns", *args, "--json", check=check)
        return proc.returncode, json.loads(proc.stdout)


# The plan gives its first step (lower-ttl) at least this long after planning. The gate and the
# cutover wait on caches, not on the clock, so a longer margin costs these tests nothing; "1s" let a
# plan made just before a minute boundary expire before the next command started (a CI failure).
MARGIN = "15s"


def dns_section(
    authority: BindAuthority, resolvers: list[str], *, backend: str = "rfc2136", key_file: Path | None = None
) -> str:
    return (
        f'[dns]\nbackend = "{backend}"\nserver = "{authority.address}"\n'
        f'tsig_key_file = "{key_file or authority.key_file}"\n'
        f'resolvers = {json.dumps(resolvers)}\nlow_ttl = 1\nmargin = "{MARGIN}"\ntimeout = 1\n'
    )


@contextmanager
def served_zone(ws: Workspace, root: Path, name: str = ZONE, *, records: str = "", dns_keys: str = "") -> Iterator[Dns]:
    """A BIND authority for ``name`` (the demo zone, TTL 10 s), a caching resolver in front of it, and
    ``ws``'s config pointed at both."""
    zone_text = demo_zone(name, ttl=OLD_TTL, negative_ttl=3) + records
    authority = BindAuthority(root / "auth", zone=name, zone_text=zone_text)
    authority.start()
    resolver = BindResolver(root / "resolver", zone=name, upstream=authority.address).start()
    assert ws.watch is not None
    ws.watch.secret(load_key(authority.key_file).secret)
    ws.write_config(extra=dns_section(authority, [resolver.address]) + dns_keys)
    try:
        yield Dns(ws, authority, resolver, name)
    finally:
        resolver.stop()
        authority.stop()


@pytest.fixture
def zone(local_ws: Workspace, tmp_path: Path) -> Iterator[Dns]:
    with served_zone(local_ws, tmp_path) as served:
        yield served


def test_the_whole_cycle_restores_the_zone_exactly(zone: Dns) -> None:
    original = zone.zone_state()
    code, seen = zone.json("inspect", ZONE)
    assert code == 0, seen
    assert {
        "name": "example.test.",
        "type": "MX",
        "ttl": OLD_TTL,
        "values": ["10 mx.old-provider.example.test."],
        "status": "ok",
    } in seen["records"]  # type: ignore[index]
    assert seen["negative_ttl"] == 3  # type: ignore[index]

    code, plan = zone.json("plan", ZONE, "--new-mx", "mx.new." + ZONE, "--new-ip", "127.0.0.3")
    assert plan["mode"] == "new-host" and plan["new_names"] == ["mx.new.example.test."]  # type: ignore[index]
    steps = {s["name"]: s for s in plan["timeline"]["steps"]}  # type: ignore[index]
    assert list(steps)[:4] == ["lower-ttl", "gate", "cutover", "verify"]
    assert zone.zone_state() == original, "plan changed the zone"

    code, _, _ = zone.cli("cutover", ZONE, check=False)
    assert code == 1 and zone.zone_state() == original, "cutover went ahead before lower-ttl and the gate"

    zone.prime_resolver()
    zone.cli("lower-ttl", ZONE)
    lowered = zone.zone_state()
    assert lowered["MX example.test."] == (1, ["10 mx.old-provider.example.test."])
    assert lowered["A mx.new.example.test."] == (1, ["127.0.0.3"])
    assert lowered["TXT example.test."] == (OLD_TTL, ['"v=spf1 ip4:127.0.0.2 ip4:127.0.0.3 -all"'])

    code, verdict = zone.json("gate", ZONE, check=False)
    assert code == 1, verdict
    stale = [c for c in verdict["checks"] if not c["ok"]]  # type: ignore[index]
    assert any(c["who"] == zone.resolver.address and c["what"] == "MX example.test." and c["until"] for c in stale)
    code, _out, err = zone.cli("cutover", ZONE, check=False)
    assert code == 1 and "gate has not passed" in err and zone.zone_state() == lowered

    code, verdict = zone.json("gate", ZONE, "--wait", "--timeout", "60")
    assert code == 0 and verdict["passed"]  # type: ignore[index]
    zone.cli("cutover", ZONE)
    assert zone.zone_state()["MX example.test."] == (1, ["10 mx.new.example.test."])
    code, verdict = zone.json("verify", ZONE, "--wait", "--timeout", "60")
    assert code == 0, verdict
    assert zone.ask(zone.resolver.port, ZONE, "MX").answer[0][0].to_text() == "10 mx.new.example.test."

    zone.cli("raise-ttl", ZONE, "--drop-old-senders")
    assert zone.zone_state()["MX example.test."] == (OLD_TTL, ["10 mx.new.example.test."])
    assert zone.zone_state()["TXT example.test."] == (OLD_TTL, ['"v=spf1 ip4:127.0.0.3 -all"'])

    code, undone = zone.json("rollback", ZONE)
    assert [u["step"] for u in undone["undone"]] == ["raise-ttl", "cutover", "lower-ttl"]  # type: ignore[index]
    assert zone.zone_state() == original
    code, again = zone.json("rollback", ZONE)
    assert again["undone"] == [] and zone.zone_state() == original  # type: ignore[index]
    code, journal = zone.json("journal", ZONE)
    assert [e["status"] for e in journal["entries"]] == ["rolled-back"] * 3  # type: ignore[index]


def test_an_edit_by_someone_else_is_detected_never_overwritten(zone: Dns) -> None:
    zone.json("plan", ZONE, "--new-mx", "mx.new." + ZONE, "--new-ip", "127.0.0.3")
    zone.cli("lower-ttl", ZONE)
    zone.edit(ZONE, "MX", 1, "20 mx.someone-else.example.net.")
    code, _, err = zone.cli("cutover", ZONE, "--force", check=False)
    assert code == 1
    assert "someone else changed the zone" in err and "nothing was changed" in err
    assert zone.zone_state()["MX example.test."] == (1, ["20 mx.someone-else.example.net."])
    code, _out, err = zone.cli("rollback", ZONE, check=False)
    assert code == 1 and "someone else changed it" in err
    assert zone.zone_state()["MX example.test."] == (1, ["20 mx.someone-else.example.net."])


def test_a_crash_between_journal_and_apply_then_rollback(zone: Dns) -> None:
    """Journal written, update never sent (crash before apply); and update applied, journal never marked
    (crash after apply): rollback reads the zone and does the right thing in both cases."""
    from mailvault.actions.dns_context import dns_context
    from mailvault.config.load import load_config
    from mailvault.dns.records import Change

    original = zone.zone_state()
    zone.json("plan", ZONE, "--new-mx", "mx.new." + ZONE, "--new-ip", "127.0.0.3")
    ctx = dns_context(load_config(zone.ws.config_path), ZONE)
    plan = ctx.load_plan()
    prepare = [Change.from_dict(c) for c in plan["prepare"]]
    never_sent = ctx.journal.append("lower-ttl", prepare)  # the crash: journaled, then killed
    _, out = zone.json("rollback", ZONE)
    assert out["not_applied"] == [never_sent.id] and zone.zone_state() == original  # type: ignore[index]

    sent = ctx.journal.append("lower-ttl", prepare)
    ctx.backend().apply(plan["zone"], prepare)  # the crash: applied, then killed before marking
    assert zone.zone_state() != original
    _code, out = zone.json("rollback", ZONE)
    assert [u["entry"] for u in out["undone"]] == [sent.id]  # type: ignore[index]
    assert zone.zone_state() == original


def test_a_wrong_tsig_key_changes_nothing_and_says_so(zone: Dns, tmp_path: Path) -> None:
    original = zone.zone_state()
    wrong = tmp_path / "wrong.key"
    secret = "c2VjcmV0IHRoYXQgaXMgbm90IHRoZSBzZXJ2ZXIncyBrZXkgYXQgYWxs"
    assert zone.ws.watch is not None
    zone.ws.watch.secret(secret)
    wrong.write_text(f'key "{KEY_NAME}" {{\n\talgorithm hmac-sha256;\n\tsecret "{secret}";\n}};\n')
    wrong.chmod(0o600)
    zone.ws.write_config(extra=dns_section(zone.authority, [zone.resolver.address], key_file=wrong))
    zone.json("plan", ZONE, "--new-mx", "mx.new." + ZONE, "--new-ip", "127.0.0.3")
    code, out, err = zone.cli("lower-ttl", ZONE, check=False)
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "TSIG" in err and "nothing was changed" in err and secret not in err + out
    assert zone.zone_state() == original
    code, journal = zone.json("journal", ZONE)
    assert [e["status"] for e in journal["entries"]] == ["refused"]  # type: ignore[index]

    unknown = tmp_path / "unknown.key"
    unknown.write_text(
        load_key(zone.authority.key_file).__class__.__name__
        and zone.authority.key_file.read_text().replace(KEY_NAME, "nobody-knows-me")
    )
    unknown.chmod(0o600)
    zone.ws.write_config(extra=dns_section(zone.authority, [zone.resolver.address], key_file=unknown))
    code, out, err = zone.cli("lower-ttl", ZONE, check=False)
    assert code == 1 and "does not know the TSIG key 'nobody-knows-me'" in err
    assert zone.zone_state() == original


def test_bad_input_is_one_clear_line(zone: Dns) -> None:
    code, _, err = zone.cli("inspect", "not-served.example", check=False)
    assert code == 1 and "has no SOA" in err and len(err.strip().splitlines()) == 1, err
    code, _, err = zone.cli("plan", ZONE, "--new-mx", "mx.new." + ZONE, "--new-ip", "no-ip", check=False)
    assert code == 1 and "--new-ip 'no-ip' is not an IP address" in err
    code, _, err = zone.cli(
        "plan", ZONE, "--new-mx", "mx.new." + ZONE, "--new-ip", "127.0.0.3", "--at", "+1s", check=False
    )
    assert code == 1 and "too soon" in err and "earliest safe cutover" in err
    code, _, err = zone.cli("gate", ZONE, check=False)
    assert code == 1 and "no cutover plan" in err

    # A plan whose times have passed: the TTLs had to be lowered by a moment now gone (the plan is
    # moved back in time rather than the test waiting for it).
    zone.cli("plan", ZONE, "--new-mx", "mx.new." + ZONE, "--new-ip", "127.0.0.3")
    plan_file = zone.ws.state / "dns" / ZONE / "plan.json"
    plan = json.loads(plan_file.read_text())
    plan["timeline"]["lower_by"] = "2026-01-01T00:00:00+00:00"
    plan_file.write_text(json.dumps(plan))
    before = zone.zone_state()
    code, _out, err = zone.cli("lower-ttl", ZONE, check=False)
    assert code == 1 and "plan's times have passed" in err and "plan again" in err
    assert zone.zone_state() == before

    # An MX that points at a CNAME is flagged.
    zone.edit("mx.old-provider." + ZONE, "A", OLD_TTL)  # (no values: deletes the A)
    zone.edit("alias." + ZONE, "A", OLD_TTL, "127.0.0.9")
    zone.edit("mx.old-provider." + ZONE, "CNAME", OLD_TTL, "alias." + ZONE + ".")
    code, seen = zone.json("inspect", ZONE, check=False)
    assert code == 1
    assert any("is a CNAME" in f["text"] for f in seen["findings"])  # type: ignore[index]


def test_a_silent_resolver_is_reported_but_does_not_hold_the_gate(zone: Dns) -> None:
    dead = f"127.0.0.1:{free_dns_port()}"
    zone.ws.write_config(extra=dns_section(zone.authority, [zone.resolver.address, dead]))
    zone.json("plan", ZONE, "--new-mx", "mx.new." + ZONE, "--new-ip", "127.0.0.3")
    zone.cli("lower-ttl", ZONE)
    code, verdict = zone.json("gate", ZONE, "--wait", "--timeout", "60")
    assert code == 0, verdict
    silent = [c for c in verdict["checks"] if c["who"] == dead]  # type: ignore[index]
    assert silent and all(not c["ok"] and not c["fatal"] and "no answer" in c["detail"] for c in silent)


def test_the_manual_backend_prints_records_and_the_gate_confirms_them(zone: Dns) -> None:
    zone.ws.write_config(extra=dns_section(zone.authority, [zone.resolver.address], backend="manual"))
    zone.json("plan", ZONE, "--new-mx", "mx.new." + ZONE, "--new-ip", "127.0.0.3")
    original = zone.zone_state()
    code, out, _ = zone.cli("lower-ttl", ZONE)
    assert "add:    mx.new.example.test. 1 IN A 127.0.0.3" in out
    assert zone.zone_state() == original
    code, verdict = zone.json("gate", ZONE, check=False)
    assert code == 1 and any(c["detail"] == "not served yet" for c in verdict["checks"])  # type: ignore[index]
    zone.edit("mx.new." + ZONE, "A", 1, "127.0.0.3")  # the human enters the records
    zone.edit(ZONE, "MX", 1, "10 mx.old-provider.example.test.")
    zone.edit(ZONE, "TXT", OLD_TTL, '"v=spf1 ip4:127.0.0.2 ip4:127.0.0.3 -all"')
    code, verdict = zone.json("gate", ZONE, "--wait", "--timeout", "60")
    assert code == 0, verdict


def test_without_a_listed_server_the_zones_nameservers_are_found_through_the_resolvers(zone: Dns) -> None:
    from mailvault.actions.dns_context import dns_context
    from mailvault.config.load import load_config
    from mailvault.dns.query import Server

    zone.ws.write_config(extra=f'[dns]\nbackend = "manual"\nresolvers = ["{zone.resolver.address}"]\ntimeout = 1\n')
    ctx = dns_context(load_config(zone.ws.config_path), "mx.old-provider." + ZONE)
    assert ctx.authoritative() == [Server("127.0.0.1", 53)]  # ns1.example.test's address, on port 53


def test_the_mta_sts_policy_is_read_over_https_and_holds_the_gate_until_it_lists_the_new_mx(
    local_ws: Workspace, tmp_path: Path
) -> None:
    """The policy host is found at the address the zone itself publishes, its certificate verified."""
    from tests.e2e.policy_server import PolicyHost

    host = PolicyHost(ZONE, tmp_path / "policy")
    policy = "version: STSv1\nmode: enforce\nmx: mx.old-provider.example.test\nmax_age: 86400\n"
    host.policy = policy
    records = '_mta-sts IN TXT "v=STSv1; id=20261129"\nmta-sts IN A 127.0.0.1\n'
    ca = f'mta_sts_ca_file = "{host.ca_file}"\n'
    with served_zone(local_ws, tmp_path, records=records, dns_keys=ca) as zone, host.serving():
        _, seen = zone.json("inspect", ZONE)
        assert seen["mta_sts"] == {  # type: ignore[index]
            "id": "20261129",
            "error": None,
            "policy": {"mode": "enforce", "max_age": 86400, "mx": ["mx.old-provider.example.test"]},
        }
        _, plan = zone.json("plan", ZONE, "--new-mx", "mx.new." + ZONE, "--new-ip", "127.0.0.3")
        steps = {s["name"]: s for s in plan["timeline"]["steps"]}  # type: ignore[index]
        assert steps["widen-mta-sts"]["manual"], "enforce mode and the new MX not listed: widen first"
        lead = datetime.fromisoformat(plan["timeline"]["cutover_at"]) - datetime.fromisoformat(plan["created"])  # type: ignore[index]
        assert lead >= timedelta(seconds=86400), "the cutover waits out the policy's max_age"

        zone.cli("lower-ttl", ZONE)
        _, verdict = zone.json("gate", ZONE, check=False)
        (sts,) = [c for c in verdict["checks"] if c["what"] == "MTA-STS policy"]  # type: ignore[index]
        assert not sts["ok"] and sts["fatal"] and "does not list mx.new.example.test." in sts["detail"]

        host.policy = policy.replace("max_age", "mx: mx.new.example.test\nmax_age")  # the operator widens it
        _, verdict = zone.json("gate", ZONE, check=False)
        (sts,) = [c for c in verdict["checks"] if c["what"] == "MTA-STS policy"]  # type: ignore[index]
        assert sts["ok"] and "lists mx.new.example.test." in sts["detail"]

        broken = PolicyHost(ZONE, tmp_path / "other-ca")  # a certificate this config does not trust
        zone.ws.write_config(
            extra=dns_section(zone.authority, [zone.resolver.address]) + f'mta_sts_ca_file = "{broken.ca_file}"\n'
        )
        _, seen = zone.json("inspect", ZONE, check=False)
        assert "TLS: CERTIFICATE_VERIFY_FAILED" in seen["mta_sts"]["error"]  # type: ignore[index]
