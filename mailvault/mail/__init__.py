"""Maildir knowledge: layouts, folder names, message identity, the manifest."""
