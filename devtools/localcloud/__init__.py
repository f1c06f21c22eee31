"""The whole system on a laptop: ministack as the emulator, template.yaml deployed as on AWS."""
