"""DNS around a provider switch: observed records, the cutover timeline, backends and the journal."""
