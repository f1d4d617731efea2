"""The demo: an embedded S3 server and a realistic generated mail store."""
