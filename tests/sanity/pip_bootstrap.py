"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test creates its per-test virtual environments without pip and downloads get-pip.py from
ci-files.testing.ansible.com to add it; that host is not reachable here (only PyPI is). tests/sanity/run installs
this file in ansible-test's cache under the name it looks for, so the bootstrap uses the interpreter's bundled
ensurepip and then upgrades to the exact pip version ansible-test pins, from PyPI.

ansible-test runs it inside the new venv's interpreter with get-pip's arguments, e.g.
  --disable-pip-version-check pip==24.2 --no-setuptools --no-wheel
"""
import subprocess
import sys

GET_PIP_ONLY_FLAGS = {"--no-setuptools", "--no-wheel"}


def main(argv):
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
    pip_args = [arg for arg in argv if arg not in GET_PIP_ONLY_FLAGS]
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *pip_args], check=True)
    if "--no-setuptools" in argv:
        # ensurepip of python 3.11 also bundles setuptools; get-pip would not have installed it
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", "setuptools"], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
