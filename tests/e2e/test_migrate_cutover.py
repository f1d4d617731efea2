"""`mailvault migrate cutover` and `migrate rollback --domain`: the mail copy and the MX switch as one
procedure, against two real Dovecot servers and a real BIND zone."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_dns import served_zone
from tests.e2e.test_migrate import Move, assert_same_mail, move, run, snapshot  # noqa: F401  (move: a fixture)

DOMAIN = "example.com"


def test_cutover_syncs_switches_waits_and_syncs_and_rollback_undoes_both_halves(move: Move, tmp_path: Path) -> None:  # noqa: F811
    from mailvault.demo.imap_servers import message
    from tests.e2e.raw_imap import imap

    with served_zone(move.ws, tmp_path / "dns", DOMAIN) as zone:
        original = zone.zone_state()
        accounts = str(move.accounts)
        run(move)
        move.ws.cli("dns", "plan", DOMAIN, "--new-mx", f"mx.new.{DOMAIN}", "--new-ip", "127.0.0.3")
        zone.prime_resolver()

        late = imap(move.old, "alice@example.com")  # the overlap: mail still reaches the old server
        late.append("INBOX", message(900, subject="just before the switch"))
        late.logout()
        move.seeded.folders["INBOX"].append(b"")

        refused = move.ws.cli("migrate", "cutover", accounts, "--domain", DOMAIN, check=False)
        assert refused.returncode == 1 and "the gate has not passed" in refused.stderr, refused.stderr
        assert zone.zone_state() == original, "the MX moved before the TTLs were lowered"

        move.ws.cli("dns", "lower-ttl", DOMAIN)
        move.ws.cli("dns", "gate", DOMAIN, "--wait", "--timeout", "60")
        proc = move.ws.cli("migrate", "cutover", accounts, "--domain", DOMAIN, "--json")
        result = json.loads(proc.stdout)
        assert result["ok"], result
        assert result["dns"]["applied"] == [
            f"MX {DOMAIN}.: 1 [10 mx.old-provider.{DOMAIN}.] -> 1 [10 mx.new.{DOMAIN}.]"
        ]
        assert result["propagation"]["passed"]
        assert [a["copied"] for a in result["second_sync"]] == [0]
        assert_same_mail(move)  # the final sync brought the late message over
        assert zone.zone_state()[f"MX {DOMAIN}."] == (1, [f"10 mx.new.{DOMAIN}."])

        after = imap(move.new, "alice@example.com")  # the new server takes the mail now
        after.append("INBOX", message(950, subject="after the switch"))
        after.logout()

        plan = json.loads(move.ws.cli("migrate", "rollback", accounts, "--domain", DOMAIN, "--plan", "--json").stdout)
        assert [u["step"] for u in plan["dns"]["undone"]] == ["cutover", "lower-ttl"]
        assert zone.zone_state() != original, "--plan changed the zone"

        done = json.loads(move.ws.cli("migrate", "rollback", accounts, "--domain", DOMAIN, "--json").stdout)
        assert done["ok"] and done["propagation"]["passed"], done
        assert zone.zone_state() == original
        assert done["accounts"][0]["copied"] == 1
        inbox = snapshot(move.old, "alice@example.com")["INBOX"]
        assert sum(b"after the switch" in m[0] for m in inbox) == 1
        assert len(inbox) == len(move.seeded.folders["INBOX"]) + 1, "nothing that came from the old server twice"
