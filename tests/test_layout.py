"""The architecture the README draws: three rooms importing downward only, torch only in two places,
and one default spacing everywhere."""
import ast
import inspect
from pathlib import Path

import pytest

import ddim_ref as dr
from ddim_ref import cli

PACKAGE = Path(dr.__file__).parent
TEACHING = {"plot", "exercises"}


def _room(module: str) -> str:
    """'core', 'teaching', 'torch' or 'drivers' for a dotted module name inside ddim_ref."""
    parts = module.split(".")[1:]
    head = parts[0] if parts else ""
    if head == "cli" or head == "__main__":
        return "drivers"
    if head == "torch":
        return "torch"
    if head in TEACHING:
        return "teaching"
    return "core"


ALLOWED = {"core": {"core"}, "teaching": {"core", "teaching"}, "torch": {"core", "torch"},
           "drivers": {"core", "teaching", "torch", "drivers"}}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.parts[-1] == "__init__" else rel.parts)
        yield name, path


def _imports(name, path):
    """(imported module, is it ddim_ref's) for every import statement, at any depth."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import a, b
                    for alias in node.names:
                        yield f"{target}.{alias.name}"
                    continue
                yield target
            else:
                yield node.module


MODULES = list(_modules())


@pytest.mark.parametrize("name, path", MODULES, ids=[m for m, _ in MODULES])
def test_imports_point_down_only(name, path):
    room = _room(name)
    for imported in _imports(name, path):
        top = imported.split(".")[0]
        if top == "ddim_ref":
            assert _room(imported) in ALLOWED[room], f"{name} ({room}) imports {imported} ({_room(imported)})"
        if top == "torch":
            assert room in ("torch", "drivers"), f"{name} ({room}) imports torch"
        if top == "matplotlib":
            assert room in ("teaching", "drivers"), f"{name} ({room}) imports matplotlib"


def test_the_core_is_numpy_only():
    third_party = set()
    for name, path in MODULES:
        if _room(name) == "core":
            third_party |= {i.split(".")[0] for i in _imports(name, path)} - {"ddim_ref"}
    import sys
    assert third_party - set(sys.stdlib_module_names) == {"numpy"}


def test_one_default_spacing_everywhere():
    from ddim_ref.cli.tradeoff import reconstruction
    from ddim_ref.torch.ddim import DDIM

    assert dr.DEFAULT_SPACING == "trailing"
    defaults = [inspect.signature(dr.timesteps).parameters["spacing"].default,
                inspect.signature(reconstruction).parameters["spacing"].default]
    defaults += [inspect.signature(getattr(DDIM, m)).parameters["spacing"].default
                 for m in ("forward", "sample", "sample_ddpm", "timesteps")]
    parser = cli.build_parser(all_commands=True)
    sub = next(a for a in parser._actions if a.dest == "command")
    cli_defaults = [a.default for p in sub.choices.values() for a in p._actions if a.dest == "spacing"
                    and not isinstance(a.default, list)]
    assert len(cli_defaults) >= 2  # sample and demo
    assert set(defaults + cli_defaults) == {"trailing"}
