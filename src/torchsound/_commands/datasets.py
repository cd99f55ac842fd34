"""``torchsound datasets``: list the corpora (subsets, archive sizes) and download one with progress."""

from __future__ import annotations

import importlib
import os

# (module in torchsound.datasets, attribute holding its Corpus), in the order `list` prints them.
_CATALOG = [
    ("librispeech", "CORPUS"), ("librispeech_biasing", "CORPUS"), ("libritts", "CORPUS"), ("librilight_limited", "CORPUS"),
    ("librimix", "CORPUS"), ("ljspeech", "CORPUS"), ("vctk", "CORPUS"), ("dr_vctk", "CORPUS"), ("cmuarctic", "CORPUS"),
    ("cmudict", "CORPUS"), ("yesno", "CORPUS"), ("speechcommands", "CORPUS"), ("fluentcommands", "CORPUS"),
    ("snips", "CORPUS"), ("quesst14", "CORPUS"), ("commonvoice", "CORPUS"), ("tedlium", "CORPUS"),
    ("voxceleb1", "CORPUS"), ("voxceleb1", "VERIFICATION"), ("iemocap", "CORPUS"), ("gtzan", "CORPUS"),
    ("musdb_hq", "CORPUS"), ("musan", "CORPUS"),
]


def corpora() -> list:
    """Every dataset's ``Corpus`` entry."""
    return [getattr(importlib.import_module(f"torchsound.datasets.{module}"), attr) for module, attr in _CATALOG]


def register(sub) -> None:
    p = sub.add_parser("datasets", help="list the datasets or download one")
    actions = p.add_subparsers(dest="datasets_command", metavar="ACTION")
    ls = actions.add_parser("list", help="every dataset with its subsets and archive sizes")
    ls.set_defaults(handler=_list)
    dl = actions.add_parser("download", help="download, verify and extract a dataset (with progress)")
    dl.add_argument("name", help="dataset name as in `torchsound datasets list` (case-insensitive)")
    dl.add_argument("--root", required=True, help="folder to download into")
    dl.add_argument("--subset", default=None, help="subset to fetch (default: the first one listed)")
    dl.set_defaults(handler=_download)
    p.set_defaults(handler=lambda args: (p.print_help(), 2)[1])


def _list(args) -> int:
    print("Sizes are the approximate sizes of the official archives.")
    for corpus in corpora():
        print(f"\n{corpus.name}")
        if not corpus.downloadable:
            print(f"  subsets: {', '.join(corpus.subsets)}")
            print(f"  manual download: {corpus.manual}")
            continue
        for subset, resources in corpus.subsets.items():
            sizes = " + ".join(r.size for r in resources)
            print(f"  {subset:<24} {sizes}")
    return 0


def _find(name: str):
    for corpus in corpora():
        if corpus.name.lower() == name.lower():
            return corpus
    return None


def _download(args) -> int:
    corpus = _find(args.name)
    if corpus is None:
        names = ", ".join(c.name for c in corpora())
        print(f"unknown dataset {args.name!r}; expected one of: {names}")
        return 2
    subset = args.subset or next(iter(corpus.subsets))
    if subset not in corpus.subsets:
        print(f"{corpus.name}: unknown subset {subset!r}; expected one of: {', '.join(corpus.subsets)}")
        return 2
    if not corpus.downloadable:
        print(f"{corpus.name} {corpus.how_to_download()[len(corpus.name) + 1:]}")
        return 1
    root = os.path.abspath(args.root)
    os.makedirs(root, exist_ok=True)
    try:
        dataset = corpus.open(root, subset, True)
    except (RuntimeError, OSError, ValueError) as err:  # network, checksum, unsafe archive, bad metadata
        print(f"{corpus.name} {subset}: {err}")
        return 1
    print(f"{corpus.name} {subset}: {len(dataset)} items under {root}")
    return 0
