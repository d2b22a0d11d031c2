"""Test aids shipped with fxkit: a throw-away sshd, fakes."""
