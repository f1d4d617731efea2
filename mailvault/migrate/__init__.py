"""`mailvault migrate`: IMAP-to-IMAP moves that lose nothing and duplicate nothing."""
