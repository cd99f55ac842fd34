"""``torchsound alias``: make ``import torchaudio`` give torchsound in every process of an environment.

``install`` writes a ``.pth`` hook into the environment's site-packages (Python runs it at every start, so
libraries and their worker processes get the alias without code changes), ``remove`` deletes it, ``status``
reports, and ``build-dist DIR`` writes a tiny ``torchaudio`` 2.8.0 wheel that depends on torchsound and
installs the same hook, for installing libraries whose metadata requires torchaudio.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sysconfig
import zipfile

PTH_NAME = "torchsound-alias.pth"
# One line: Python's site module executes .pth lines that start with "import". Skipped when torchsound is gone.
PTH_LINE = ('import importlib.util as _u; _u.find_spec("torchsound") is not None and '
            '__import__("torchsound.compat._startup")\n')


def register(sub) -> None:
    p = sub.add_parser("alias", help="make `import torchaudio` give torchsound in this environment")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, helptext in [("install", "write the .pth hook into site-packages"),
                           ("remove", "delete the .pth hook"), ("status", "report the hook and any real torchaudio")]:
        a = actions.add_parser(name, help=helptext)
        a.add_argument("--site-dir", default=None, help="site-packages folder (default: this Python's)")
        if name == "install":
            a.add_argument("--force", action="store_true", help="install even when a real torchaudio is installed")
        a.set_defaults(handler=globals()[f"_{name}"])
    b = actions.add_parser("build-dist", help="write a torchaudio 2.8.0 stand-in wheel into DIR")
    b.add_argument("dir")
    b.set_defaults(handler=_build_dist)


def site_dir(explicit=None) -> str:
    return explicit or sysconfig.get_paths()["purelib"]


def _install(args) -> int:
    from torchsound.compat import real_torchaudio

    conflict = real_torchaudio()
    if conflict and not args.force:
        print(f"torchsound alias: not installed: {conflict}. Uninstall it (pip uninstall torchaudio), "
              "or pass --force to shadow it in every process of this environment.")
        return 1
    path = os.path.join(site_dir(args.site_dir), PTH_NAME)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(PTH_LINE)
    os.replace(tmp, path)
    print(f"torchsound alias: installed {path}; `import torchaudio` now gives torchsound "
          "(set TORCHSOUND_NO_ALIAS=1 to turn it off for a process)")
    return 0


def _remove(args) -> int:
    path = os.path.join(site_dir(args.site_dir), PTH_NAME)
    if os.path.exists(path):
        os.remove(path)
        print(f"torchsound alias: removed {path}")
    else:
        print(f"torchsound alias: no hook at {path}")
    return 0


def _status(args) -> int:
    import importlib.metadata

    from torchsound.compat import is_installed, real_torchaudio
    from torchsound.compat._alias import is_shim

    path = os.path.join(site_dir(args.site_dir), PTH_NAME)
    print(f"hook: {path} ({'present' if os.path.exists(path) else 'absent'})")
    print(f"alias active in this process: {'yes' if is_installed() else 'no'}")
    try:
        dist = importlib.metadata.distribution("torchaudio")
        kind = "torchsound's stand-in" if is_shim(dist) else "the real torchaudio"
        print(f"torchaudio distribution: {dist.version} ({kind})")
    except importlib.metadata.PackageNotFoundError:
        print("torchaudio distribution: none")
    conflict = None if is_installed() else real_torchaudio()
    if conflict:
        print(f"conflict: {conflict}")
    return 0


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_dist(directory: str) -> str:
    """Write ``torchaudio-2.8.0-py3-none-any.whl`` into ``directory`` and return its path."""
    from torchsound import __version__
    from torchsound.compat import TORCHAUDIO_VERSION

    info = f"torchaudio-{TORCHAUDIO_VERSION}.dist-info"
    files = {
        PTH_NAME: PTH_LINE.encode(),
        f"{info}/METADATA": (
            "Metadata-Version: 2.1\nName: torchaudio\n"
            f"Version: {TORCHAUDIO_VERSION}\n"
            "Summary: torchsound standing in for torchaudio (import torchaudio gives torchsound)\n"
            f"Requires-Dist: torchsound>={__version__}\n"
        ).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: torchsound alias build-dist\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [_record_line(name, data) for name, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"torchaudio-{TORCHAUDIO_VERSION}-py3-none-any.whl")
    with zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    os.replace(path + ".tmp", path)
    return path


def _build_dist(args) -> int:
    path = build_dist(args.dir)
    print(f"torchsound alias: wrote {path}\n  pip install {path}   # then libraries requiring torchaudio install "
          "without pulling the real one")
    return 0
