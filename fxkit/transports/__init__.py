"""Transports: the ways fxkit reaches a host (local process, SSH; the lab lives in fxkit.lab)."""
