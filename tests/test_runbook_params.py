"""Runbook parameter checks: pure, before any kernel starts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fxkit.errors import InvalidRequest
from fxkit.runbook.params import ParamSpec, convert, validate

SPECS = {
    "host": ParamSpec("host", "str", '"lab"'),
    "apply": ParamSpec("apply", "bool", "False"),
    "sudo": ParamSpec("sudo", "bool", "False"),
    "wipe": ParamSpec("wipe", "bool", "False"),
    "confirm": ParamSpec("confirm", "str", '""'),
    "vg": ParamSpec("vg", "str", '"lvm"'),
    "lv": ParamSpec("lv", "str", '"scratch"'),
    "size": ParamSpec("size", "str", '"1G"'),
    "domu": ParamSpec("domu", "str", '"titanic"'),
    "bridge": ParamSpec("bridge", "str", '"xenbr3"'),
    "memory": ParamSpec("memory", "int", "128"),
}


def check(**given):
    return validate(given, SPECS, runbook="test")


def test_good_values_are_converted():
    out = check(host="ssh://root@fx:2222", apply=True, vg="lvm", lv="secours-root",
                size="+256M", memory="256", confirm="lvm/old", wipe="yes")
    assert out == {"host": "ssh://root@fx:2222", "apply": True, "vg": "lvm",
                   "lv": "secours-root", "size": "+256M", "memory": 256, "confirm": "lvm/old",
                   "wipe": True}
    assert check(size="100%FREE")["size"] == "100%FREE"
    assert check(host="lab:fourier", apply=False)["apply"] is False
    assert check(confirm="")["confirm"] == ""


@pytest.mark.parametrize("name,value,words", [
    ("lv", "x; rm -rf /", "shell metacharacters"),
    ("lv", "../../etc", "path"),
    ("vg", "/etc/passwd", "path"),
    ("lv", "snapshot1", "reserved"),
    ("lv", "-bad", "hyphen"),
    ("lv", "a" * 200, "limit"),
    ("size", "20 gigs", "not an LVM size"),
    ("size", "12X", "not an LVM size"),
    ("size", "$(reboot)", "shell metacharacters"),
    ("host", "fx;reboot", "shell metacharacters"),
    ("host", "ftp://fx", "not a host target"),
    ("domu", "tit anic", "not a domain name"),
    ("bridge", "averyveryverylongbridge", "not an interface name"),
    ("confirm", "lvm/../x", "path"),
    ("apply", "maybe", "not True or False"),
    ("wipe", "maybe", "yes/no"),
    ("memory", "lots", "whole number"),
])
def test_bad_values_are_refused_naming_parameter_and_fix(name, value, words):
    with pytest.raises(InvalidRequest) as e:
        check(**{name: value})
    msg = str(e.value)
    assert f"parameter {name}=" in msg and words in msg and "Fix:" in msg
    assert "Nothing was run" in msg


def test_unknown_parameter_lists_the_known_ones():
    with pytest.raises(InvalidRequest, match="unknown parameter.*colour.*takes: apply, bridge"):
        check(colour="red")


@pytest.mark.parametrize("name", ["password", "api_key", "ssh_passphrase", "token"])
def test_secret_parameters_are_refused(name):
    specs = {**SPECS, name: ParamSpec(name, "str", '""')}
    with pytest.raises(InvalidRequest, match="secret"):
        validate({name: "hunter2"}, specs, runbook="test")


def test_secret_looking_values_are_refused():
    with pytest.raises(InvalidRequest, match="key or token"):
        check(lv="-----BEGIN OPENSSH PRIVATE KEY-----")


def test_convert_bool_and_int():
    assert convert("wipe", "TRUE", SPECS["wipe"], "t") is True
    assert convert("wipe", "0", SPECS["wipe"], "t") is False
    assert convert("wipe", "no", SPECS["wipe"], "t") is False   # read as False, explicitly
    assert convert("memory", 512, SPECS["memory"], "t") == 512


@pytest.mark.parametrize("name", ["apply", "sudo"])
@pytest.mark.parametrize("value", ["no", "false", "0", "yes", "True", 0, 1, None])
def test_switches_take_only_a_real_boolean(name, value):
    """`papermill -p apply no` gives the string "no", which Python finds true: refused."""
    with pytest.raises(InvalidRequest) as e:
        check(**{name: value})
    assert "is not True or False" in str(e.value) and f"-p {name} False" in str(e.value)
    assert check(**{name: True})[name] is True and check(**{name: False})[name] is False


def test_a_parameters_cell_is_read_with_its_types():
    from fxkit.runbook.params import specs_of_cell
    specs = specs_of_cell('host: str = "lab"  # where\napply: bool = False\nmemory: int = 128')
    assert [(s.name, s.type, s.default, s.help) for s in specs.values()] == [
        ("host", "str", '"lab"', "where"), ("apply", "bool", "False", ""),
        ("memory", "int", "128", "")]


def test_empty_filesystem_means_none():
    specs = {**SPECS, "filesystem": ParamSpec("filesystem", "str", '"ext4"')}
    assert validate({"filesystem": ""}, specs, runbook="lv-create") == {"filesystem": ""}
    with pytest.raises(InvalidRequest, match="not a filesystem"):
        validate({"filesystem": "ntfs"}, specs, runbook="lv-create")


def test_kernel_and_ramdisk_are_absolute_paths_in_dom0():
    specs = {**SPECS, "kernel": ParamSpec("kernel", "str", '""'),
             "ramdisk": ParamSpec("ramdisk", "str", '""')}
    good = {"kernel": "/boot/guest/vmlinuz", "ramdisk": "/boot/initrd.img-6.1.0-50-amd64"}
    assert validate(good, specs, runbook="domu-create") == good
    assert validate({"kernel": ""}, specs, runbook="domu-create") == {"kernel": ""}
    for bad, words in (("boot/vmlinuz", "absolute path"), ("/boot/../etc/shadow", "absolute"),
                       ("/boot/vmlinuz;reboot", "shell metacharacters")):
        with pytest.raises(InvalidRequest, match=words):
            validate({"kernel": bad}, specs, runbook="domu-create")
    with pytest.raises(InvalidRequest, match="path"):          # other names stay names
        check(lv="/boot/guest/vmlinuz")


def test_papermill_is_imported_without_requests_until_a_notebook_needs_http():
    """``import_papermill`` keeps ``requests`` (urllib3, charset detection: ~0.14 s of every
    ``fxkit run``) unloaded through papermill's own ``import requests``; the first use of
    one of its names loads the real module."""
    code = ("import sys; import fxkit.runbook.params as p; p.import_papermill()\n"
            "import papermill.iorw as io\n"
            "print('urllib3' in sys.modules)\n"
            "print(io.requests.get.__module__, 'urllib3' in sys.modules,\n"
            "      type(sys.modules['requests']).__name__)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.split() == ["False", "requests.api", "True", "module"], done.stderr
