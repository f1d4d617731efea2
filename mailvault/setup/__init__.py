"""`mailvault setup`: what the host's own Dovecot and Postfix say about the store, its config and keys."""
