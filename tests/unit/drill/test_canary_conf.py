"""The canary's Postfix settings: no transport may leave, delivery goes to the drill's Dovecot."""

from __future__ import annotations

from mailvault.drill import canary_conf


def test_every_way_out_is_closed_and_delivery_goes_to_the_drills_lmtp() -> None:
    got = dict(o.split("=", 1) for o in canary_conf.overrides(smtp_port=2525, lmtp_port=2424, run_dir="/r"))
    assert got["relayhost"] == "" and got["fallback_relay"] == "" and got["transport_maps"] == ""
    for name in ("default_transport", "relay_transport"):
        assert got[name].startswith("error:"), name
    for name in ("virtual_transport", "local_transport", "mailbox_transport"):
        assert got[name] == "lmtp:inet:127.0.0.1:2424", name
    assert got["inet_interfaces"] == "127.0.0.1" and got["smtp_dns_support_level"] == "disabled"
    assert got["smtpd_milters"] == got["content_filter"] == got["smtpd_recipient_restrictions"] == ""
    assert got["queue_directory"] == "/r/queue" and got["maillog_file"] == "/r/maillog"


def test_master_cf_listens_on_loopback_only_and_chroots_nothing() -> None:
    lines = canary_conf.master_cf(2525).splitlines()[1:]
    inet = [line for line in lines if line.split()[1] == "inet"]
    assert inet == ["127.0.0.1:2525 inet n - n - - smtpd"]
    assert all(line.split()[4] == "n" for line in lines), "a chroot would need copies of /etc files"
    assert "smtp" not in {line.split()[0] for line in lines}, "no SMTP client at all"


def test_restored_paths_are_found_in_maps_and_files_but_not_in_overridden_settings() -> None:
    settings = canary_conf.parse_postconf(
        "virtual_mailbox_maps = hash:/etc/postfix/vmailbox, mysql:/etc/postfix/sql/users.cf\n"
        "smtpd_tls_cert_file = /etc/ssl/mail/fullchain.pem\nrelayhost = [smtp.example.net]:587\n"
        "transport_maps = hash:/etc/postfix/transport\nmyhostname = mail.example.com\n"
    )
    assert canary_conf.paths_in(settings) == {
        "virtual_mailbox_maps": ["/etc/postfix/vmailbox", "/etc/postfix/sql/users.cf"],
        "smtpd_tls_cert_file": ["/etc/ssl/mail/fullchain.pem"],
    }
