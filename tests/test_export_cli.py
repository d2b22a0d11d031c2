"""`--export ansible|sh` on the xen and net plan commands: the exported script, run by a real
sh whose `ip` and `xl` reach the lab, ends where fxkit's apply would and changes nothing
the second time; a step the exporter cannot re-check is refused with a clear error."""

import json
import os
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from fxkit.cli import cli
from fxkit.lab import LabHost, reset
from fxkit.net.state import read_net

# `ip` and `xl` for the script: the argv, verbatim, run by the lab host `fx`
SHIM = ("import sys; sys.modules['invoke'] = None\n"
        "from fxkit.lab.store import LabStore\n"
        "from fxkit.lab.transport import run_request\n"
        "r = run_request(LabStore('fx'), argv=[{tool!r}, *sys.argv[1:]])\n"
        "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr); sys.exit(r.status)\n")


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    reset("fx")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("ip", "xl"):
        shim = bin_dir / tool
        shim.write_text(f"#!{sys.executable}\n" + SHIM.format(tool=tool))
        shim.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def export(*args, code=0):
    res = CliRunner().invoke(cli, list(args))
    assert res.exit_code == code, res.output
    return res.output


def run_script(tmp_path, text, env, *args):
    script = tmp_path / "plan.sh"
    script.write_text(text)
    done = subprocess.run(["sh", str(script), *args], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow   # a real sh and one lab process per `ip`: about 10 s
def test_net_bridge_script_reaches_fxkits_end_state_and_is_idempotent(lab, tmp_path):
    args = ["net", "plan-bridge", "lab", "xenbr3", "--uplink", "eth0.43", "--no-persist"]
    text = export(*args, "--export", "sh")
    # each re-check names the device, whichever form of `ip link add` the step uses
    assert "'ip' '-o' 'link' 'show' 'dev' 'eth0.43'" in text
    assert "'ip' '-o' 'link' 'show' 'dev' 'xenbr3'" in text and "' master xenbr3 '" in text
    assert "would run" in run_script(tmp_path, text, lab, "--dry-run")
    assert read_net(LabHost("lab")).link("xenbr3") is None          # the dry run changed nothing
    first = run_script(tmp_path, text, lab)
    # the step that sets STP has no re-check in fxkit either: it runs every time
    assert first.strip().endswith("changed=6")
    by_script = links(("xenbr3", "eth0.43"))
    assert by_script["eth0.43"][1:] == ("xenbr3", True) and by_script["xenbr3"][2]
    second = run_script(tmp_path, text, lab)
    assert second.count("(already done)") == 5 and second.strip().endswith("changed=1")
    assert json.loads(export(*args, "--json"))["empty"]       # fxkit finds nothing to do
    reset("fx")
    export(*args, "--apply")
    assert links(("xenbr3", "eth0.43")) == by_script          # the end state fxkit gives


def links(names):
    net = read_net(LabHost("lab"))
    return {n: (net.link(n).kind, net.link(n).master, net.link(n).admin_up) for n in names}


@pytest.mark.slow
def test_xen_start_script_and_playbook_re_check_the_domain(lab, tmp_path):
    text = export("xen", "start", "backup", "lab", "--export", "sh")
    assert "'xl' 'list' 'backup'" in text and "'xl' 'create' '/etc/xen/backup.cfg'" in text
    assert run_script(tmp_path, text, lab).strip().endswith("changed=1")
    assert LabHost("lab").run(["xl", "list", "backup"], check=False).exit_status == 0
    second = run_script(tmp_path, text, lab)
    assert "(already done)" in second and second.strip().endswith("changed=0")

    play = yaml.safe_load(export("xen", "shutdown", "backup", "lab", "--export", "ansible"))
    tasks = play[0]["tasks"]
    assert tasks[0]["ansible.builtin.command"]["argv"] == ["xl", "list", "backup"]
    assert tasks[0]["changed_when"] is False and tasks[0]["failed_when"] is False
    assert tasks[1]["ansible.builtin.command"]["argv"] == ["xl", "shutdown", "-w", "backup"]
    assert tasks[1]["when"] == "not (fxkit_check_1.rc != 0)"


def test_a_destructive_net_plan_asks_for_its_confirmation(lab, tmp_path):
    export("net", "plan-bridge", "lab", "xenbr3", "--no-persist", "--apply")
    text = export("net", "plan-delete", "lab", "xenbr3", "--export", "sh")
    script = tmp_path / "delete.sh"
    script.write_text(text)
    refused = subprocess.run(["sh", str(script)], capture_output=True, text=True, env=lab)
    assert refused.returncode == 3 and "--confirm xenbr3" in refused.stderr
    assert read_net(LabHost("lab")).link("xenbr3") is not None
    assert run_script(tmp_path, text, lab, "--confirm", "xenbr3").strip().endswith("changed=2")
    assert read_net(LabHost("lab")).link("xenbr3") is None


def test_a_step_without_an_exportable_re_check_is_refused_clearly(lab):
    done = subprocess.run([sys.executable, "-c", "from fxkit.cli import main; main()", "xen",
                           "create", "web2", "lab", "--export", "ansible"],
                          capture_output=True, text=True, env=lab, timeout=120)
    assert done.returncode == 3 and done.stdout == ""
    assert "writes a file" in done.stderr and "apply this plan with fxkit instead" in done.stderr
    assert "Traceback" not in done.stderr
    out = export("xen", "start", "backup", "lab", "--export", "sh", "--apply", code=2)
    assert "drop --apply" in out
