"""The lab over real SSH: an OpenSSH-compatible server in front of the simulated fx.

``server`` (a Paramiko server on 127.0.0.1, one port per scenario: exec requests
run through the lab's shell), ``session`` (interactive ``ssh fx``: prompt, line
editing, scripts on stdin), ``sftp`` (the lab's file tree over SFTP), ``daemon``
(start, stop, status; keys, ``ssh_config`` and ``known_hosts`` for plain ``ssh``)
and ``serve`` (the daemon's process, ``python -m fxkit.lab.ssh.serve``). Import the
modules themselves: this face re-exports nothing (and so does not load Paramiko).
"""
