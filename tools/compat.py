"""Compare torchsound's public API with torchaudio's, from the API listing in tests/data.

    python tools/compat.py            # print the README's compatibility table (markdown)
    python tools/compat.py --missing  # list every torchaudio name torchsound lacks

The parser reads lines like ``- `name(signature)` `` under headings naming a torchaudio module.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

SPEC = Path(__file__).resolve().parents[1] / "tests" / "data" / "torchaudio-api.md"
_HEADING = re.compile(r"^#{2,3} (torchaudio(?:\.[\w.]+)?)")
_ITEM = re.compile(r"`(?:torchaudio\.[\w.]*\.|torchaudio\.)?(\w+)(\((?:[^`]*?)\))?(?: -> [^`]*)?`")
_SUBMODULE = re.compile(r"^- `(\w+)`: ")


@dataclass
class Entry:
    module: str  # e.g. "torchaudio.functional"
    name: str
    params: Optional[List[tuple]]  # [(name, kind, default source or None)], None when unparsable

    @property
    def ours(self) -> str:
        return self.module.replace("torchaudio", "torchsound", 1)


def _parse_params(signature: str) -> Optional[List[tuple]]:
    # Remove annotations torchaudio's listing prints that are not Python (e.g. "<function ...>").
    try:
        fn = ast.parse(f"def f{signature}: pass").body[0]
    except SyntaxError:
        return None
    args = fn.args
    out = []
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for a, d in zip(positional, defaults):
        out.append((a.arg, "positional", ast.unparse(d) if d is not None else None))
    if args.vararg:
        out.append((args.vararg.arg, "varargs", None))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        out.append((a.arg, "keyword", ast.unparse(d) if d is not None else None))
    if args.kwarg:
        out.append((args.kwarg.arg, "varkw", None))
    return out


def parse_spec(path: Path = SPEC) -> List[Entry]:
    entries: Dict[tuple, Entry] = {}
    module = last_where = None
    for line in path.read_text().splitlines():
        m = _HEADING.match(line)
        if m:
            module = m.group(1)
            continue
        if line.startswith("## ") or line.startswith("# "):
            module = None
        if module and line.startswith("  ") and last_where:
            where = last_where  # continuation of the previous list item
        elif module and line.startswith("- `"):
            where = module
        else:
            continue
        sub = _SUBMODULE.match(line)
        if sub and sub.group(1) in ("functional", "transforms", "datasets", "models", "pipelines"):
            where, line = f"{module}.{sub.group(1)}", line[sub.end():]
        elif sub:
            continue  # a submodule summary such as `sox_utils`: not a callable
        first = _ITEM.search(line)
        if first and first.group(1)[:1].isupper() and "`: `" in line:
            line = line.split("`: `")[0] + "`"  # a class followed by its methods: keep the class
        last_where = where
        # torchaudio's transforms listing: "Cls(ctor) -> None · forward`(...)`" - only the constructor.
        line = line.split(" · forward")[0]
        for m in _ITEM.finditer(line):
            name, sig = m.group(1), m.group(2)
            if sig and sig.startswith("(...") or name in ("torchaudio",):
                sig = None
            if name[:1].islower() and (sig is None or where in ("torchaudio.io", "torchaudio.models.decoder")) and name != "play_audio":
                continue  # a method or attribute listed after its class, or an argument name
            if sig is None and (where, name) in entries:
                continue  # keep the fuller listing
            params = _parse_params(sig) if sig else None
            entries[(where, name)] = Entry(where, name, params)
    return list(entries.values())


def resolve(entry: Entry):
    """Our object for ``entry``, or None when torchsound does not provide it."""
    try:
        module = importlib.import_module(entry.ours)
        return getattr(module, entry.name)
    except (ImportError, AttributeError):
        return None


def _ours_params(obj) -> Optional[List[tuple]]:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    kinds = {
        inspect.Parameter.POSITIONAL_ONLY: "positional",
        inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
        inspect.Parameter.VAR_POSITIONAL: "varargs",
        inspect.Parameter.KEYWORD_ONLY: "keyword",
        inspect.Parameter.VAR_KEYWORD: "varkw",
    }
    out = []
    for p in sig.parameters.values():
        default = None if p.default is inspect.Parameter.empty else p.default
        out.append((p.name, kinds[p.kind], default))
    return out


def _same_default(theirs: Optional[str], ours) -> bool:
    if theirs is None:
        return True  # no default in the listing: a default on our side is an extension
    try:
        value = ast.literal_eval(theirs)
    except (ValueError, SyntaxError):
        return True  # an expression such as torch.hann_window: compared by name below
    if isinstance(value, float) or isinstance(ours, float):
        return ours is not None and not isinstance(ours, bool) and float(value) == float(ours) if ours is not None or value is not None else True
    return value == ours


def signature_mismatches(entry: Entry, obj) -> List[str]:
    """Differences between torchaudio's listed signature and ours: names, order, kinds, defaults.

    Extra keyword-only parameters on our side are allowed (DESIGN: new abilities come as new
    keyword-only arguments).
    """
    if entry.params is None or any(kind in ("varargs", "varkw") for _, kind, _ in entry.params):
        return []
    ours = _ours_params(obj)
    if ours is None:
        return []
    theirs = entry.params
    problems = []
    ours_positional = [p for p in ours if p[1] == "positional"]
    for i, (name, kind, default) in enumerate(theirs):
        if kind == "positional":
            if i >= len(ours_positional) or ours_positional[i][0] != name:
                got = ours_positional[i][0] if i < len(ours_positional) else "nothing"
                problems.append(f"positional #{i} should be {name!r}, is {got!r}")
                continue
            ours_default = ours_positional[i][2]
        else:
            match = [p for p in ours if p[0] == name]
            if not match:
                problems.append(f"keyword {name!r} missing")
                continue
            ours_default = match[0][2]
        if not _same_default(default, ours_default):
            problems.append(f"{name}: default should be {default}, is {ours_default!r}")
    extra = [p for p in ours_positional[len([t for t in theirs if t[1] == 'positional']):] if p[2] is None]
    for name, _, _ in extra:
        problems.append(f"extra required positional {name!r}")
    return problems


def table(entries: List[Entry]) -> str:
    groups: Dict[str, List[Entry]] = {}
    for e in entries:
        groups.setdefault(e.module, []).append(e)
    rows = ["| torchaudio module | names | in torchsound | missing |", "| --- | --- | --- | --- |"]
    for module, items in groups.items():
        have = [e for e in items if resolve(e) is not None]
        missing = [e.name for e in items if resolve(e) is None]
        shown = ", ".join(f"`{m}`" for m in missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        rows.append(f"| `{module}` | {len(items)} | {len(have)} | {shown or '-'} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--missing", action="store_true")
    args = parser.parse_args()
    entries = parse_spec()
    if args.missing:
        for e in entries:
            if resolve(e) is None:
                print(f"{e.ours}.{e.name}")
    else:
        print(table(entries))


if __name__ == "__main__":
    main()
