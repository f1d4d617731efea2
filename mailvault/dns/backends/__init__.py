"""Where DNS changes are applied: RFC 2136 with TSIG, dns-lexicon providers, or a human (manual)."""
