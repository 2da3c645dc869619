"""Transports feed microphone frames in and take speaker frames out: a sound card, or recorded files."""
