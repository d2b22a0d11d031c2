"""The lab's shell: what answers like bash and coreutils on the simulated fx.

``base`` (the ``Call`` a handler receives, ``ToolExit``, working directory,
environment, C-locale dates), ``interpreter`` (``execute`` an argv, ``run_script`` a
command line, through the table in ``fxkit.lab.commands``), ``cmdline`` (parsing
the POSIX shell subset of SSH command lines: quoting, variables), ``script``
(running it: lists, pipes, redirections, globs), ``system`` (uname, hostname, free,
date, env, bash -c, which...), ``files`` (cat, ls, test and the views of the file
tree), ``edit`` (mkdir, tee, cp, mv, rm, touch, mktemp), ``text`` (grep, head,
tail, wc, sort) and ``hardware`` (/proc from the scenario's hardware). Import the
modules themselves: this face re-exports nothing.
"""
