"""Run in bench/.venv-ansible: time N Fabric commands on one Connection; prints JSON times."""

from __future__ import annotations

import json
import shlex
import sys
import time

from fabric import Connection


def main(spec: dict) -> None:
    conn = Connection(spec["host"], port=spec["port"], user=spec["user"],
                      connect_kwargs={"key_filename": [spec["key"]], "look_for_keys": False,
                                      "allow_agent": False})
    conn.client.load_host_keys(spec["known_hosts"])
    line = shlex.join(spec["argv"])

    def loop() -> None:
        for _ in range(spec["n"]):
            conn.run(line, hide=True, warn=True, in_stream=False)

    loop()  # warm-up: connects
    times = []
    for _ in range(spec["reps"]):
        start = time.perf_counter()
        loop()
        times.append(time.perf_counter() - start)
    conn.close()
    print(json.dumps({"times": times}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
