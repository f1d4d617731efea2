"""IMAP: the only place mailvault builds IMAP clients (imapclient)."""
