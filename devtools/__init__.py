"""Developer tooling: the local cloud (emulator, packaging, deploy, watch)."""
