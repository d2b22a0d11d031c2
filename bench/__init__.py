"""fxkit benchmarks against OpenSSH, Fabric, Ansible and plain Python (see README.md)."""
