"""``python -m ddim_ref docs``: the documentation site, built offline with MkDocs (Material theme).

Why MkDocs: the course is Jupyter notebooks whose committed outputs nbval has just proven, and
``mkdocs-jupyter`` renders those outputs as they are (``execute: false``), while ``mkdocstrings``
renders the API from the docstrings that carry each equation; both are plain pip packages, and the
Material theme's search index is built into the site (no server, no CDN). Math is typeset in the
browser by KaTeX from one pinned npm package (``npm pack katex@0.16.22``, cached in
``~/.cache/ddim_ref``), copied into the site with its fonts; nothing is loaded from elsewhere.

The build assembles a source folder in a temporary directory: the pages of ``ddim_ref/cli/site/``,
the notebooks of ``notebooks/`` (each given an "open in Jupyter" line and its run time from
``results/bench.md``; cells tagged ``hide-input`` show their output only), one API page per module,
the results of ``results/``, and KaTeX. Then ``mkdocs build --strict`` writes ``--out`` (git-ignored):
any warning — a broken link, a missing page, a docstring that does not parse — fails the build.

    python -m ddim_ref docs                   # build into site/
    python -m ddim_ref docs --serve           # build, then serve it on http://127.0.0.1:8000
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import options

ROOT = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).with_name("site")
API = {  # page: (title, modules)
    "schedules": ("Schedules", ["ddim_ref.schedules"]),
    "parametrization": ("Parametrization", ["ddim_ref.parametrization"]),
    "steps": ("Steps", ["ddim_ref.steps"]),
    "samplers": ("Samplers and the registry", ["ddim_ref.samplers", "ddim_ref.solvers"]),
    "guidance": ("Guidance", ["ddim_ref.guidance"]),
    "analytic": ("Exact denoisers", ["ddim_ref.analytic"]),
    "applications": ("Applications", ["ddim_ref.applications"]),
    "metrics": ("Metrics", ["ddim_ref.metrics", "ddim_ref.torch.metrics"]),
    "interop": ("diffusers interop", ["ddim_ref.interop", "ddim_ref.torch.pretrained"]),
    "torch": ("The PyTorch wing", ["ddim_ref.torch.ddim", "ddim_ref.torch.unet", "ddim_ref.torch.train",
                                   "ddim_ref.torch.checkpoint", "ddim_ref.torch.data"]),
    "teaching": ("Teaching helpers", ["ddim_ref.plot", "ddim_ref.exercises", "ddim_ref.exercises.engine"]),
}
KATEX_VERSION = "0.16.22"
KATEX_INIT = r"""document.addEventListener("DOMContentLoaded", function () {
  renderMathInElement(document.body, {
    delimiters: [{left: "$$", right: "$$", display: true}, {left: "\\[", right: "\\]", display: true},
                 {left: "$", right: "$", display: false}, {left: "\\(", right: "\\)", display: false}],
    ignoredClasses: ["highlight", "jp-OutputArea-output"], throwOnError: false
  });
});
"""


def katex_dist() -> Path:
    """KaTeX's ``dist`` folder from the pinned npm package, fetched once with ``npm pack`` into ~/.cache/ddim_ref."""
    cache = Path.home() / ".cache" / "ddim_ref" / f"katex-{KATEX_VERSION}"
    dist = cache / "package" / "dist"
    if (dist / "katex.min.js").is_file():
        return dist
    npm = shutil.which("npm")
    if npm is None:
        raise ValueError(f"the docs build needs npm to fetch KaTeX once (npm pack katex@{KATEX_VERSION}); "
                         "install Node.js or place KaTeX's package in " + str(cache))
    cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([npm, "pack", f"katex@{KATEX_VERSION}", "--silent"], cwd=cache, capture_output=True,
                          text=True)
    tarball = cache / f"katex-{KATEX_VERSION}.tgz"
    if done.returncode != 0 or not tarball.is_file():
        raise ValueError(f"npm pack katex@{KATEX_VERSION} failed: {(done.stderr or done.stdout).strip()[:160]}")
    shutil.unpack_archive(tarball, cache)
    return dist


NOTEBOOK_LINK = re.compile(r"\]\((\d\d_\w+)\.ipynb(#[^)]*)?\)")


def notebook_times() -> dict:
    """{notebook file name: seconds} from the table of ``results/bench.md`` (empty when it has none)."""
    bench = ROOT / "results" / "bench.md"
    if not bench.is_file():
        return {}
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"^\| (\d\d_\w+\.ipynb) \| ([\d.]+) \|", bench.read_text(), flags=re.M)}


def _notebook_page(path: Path, dest: Path, seconds: float | None):
    """Copy a notebook, adding a first cell with the link to its file and its run time."""
    nb = json.loads(path.read_text())
    run = f" It runs in {seconds:.0f} s on the 2-core CPU (results/bench.md)." if seconds else ""
    header = (f"*Open in Jupyter:* [`notebooks/{path.name}`](../files/{path.name}) (download), or from a clone, "
              f"`jupyter lab notebooks/{path.name}`.{run}")
    for cell in nb["cells"]:  # links between notebooks point at their pages
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            cell["source"] = [NOTEBOOK_LINK.sub(r"](\1.html\2)", text)]
    nb["cells"].insert(0, {"cell_type": "markdown", "id": "site-header", "metadata": {}, "source": [header]})
    dest.write_text(json.dumps(nb))


def assemble(src: Path) -> list:
    """Write the site's sources into ``src``; returns the navigation."""
    shutil.copytree(PAGES, src, dirs_exist_ok=True)
    katex = src / "assets" / "katex"
    shutil.copytree(katex_dist(), katex)
    (src / "assets" / "katex-init.js").write_text(KATEX_INIT)
    (src / "assets" / "no-mathjax.js").write_text("// notebook pages are typeset by KaTeX (assets/katex-init.js)\n")
    (src / "course").mkdir()
    (src / "files").mkdir()
    times = notebook_times()
    course = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        _notebook_page(path, src / "course" / path.name, times.get(path.name))
        shutil.copy(path, src / "files" / path.name)
        title = json.loads(path.read_text())["cells"][0]["source"][0].lstrip("# ").strip()
        course.append({title.replace("—", "·"): f"course/{path.name}"})
    (src / "api").mkdir()
    api = []
    for page, (title, modules) in API.items():
        body = "\n\n".join(f"::: {m}" for m in modules)
        (src / "api" / f"{page}.md").write_text(f"# {title}\n\n{body}\n")
        api.append({title: f"api/{page}.md"})
    index = "\n".join(f"* [{t}]({p.removeprefix('api/')}): " + ", ".join(f"`{m}`" for m in API[p[4:-3]][1])
                      for entry in api for t, p in entry.items())
    (src / "api" / "index.md").write_text("# API reference\n\nOne page per module; each function's docstring "
                                          "names its equation and paper.\n\n" + index + "\n")
    shutil.copytree(ROOT / "results", src / "results")
    return [{"Home": "index.md"}, {"Course": course}, {"Conventions": "conventions.md"},
            {"Troubleshooting": "troubleshooting.md"}, {"Results": "results.md"},
            {"API reference": [{"Overview": "api/index.md"}, *api]}]


def config(src: Path, nav: list) -> dict:
    """mkdocs.yml as a dict (written as JSON, which YAML reads)."""
    return {
        "site_name": "ddim_ref", "docs_dir": str(src), "use_directory_urls": False, "strict": True,
        "site_description": "A NumPy reference of DDPM and DDIM sampling, with an executed course",
        "theme": {"name": "material", "features": ["navigation.sections", "content.code.copy"],
                  "font": False, "palette": {"primary": "indigo"}},
        "nav": nav,
        "markdown_extensions": ["tables", "admonition", "toc", {"pymdownx.arithmatex": {"generic": True}},
                                "pymdownx.superfences", {"pymdownx.snippets": {"base_path": [str(src)],
                                                                              "check_paths": True}}],
        "extra_css": ["assets/katex/katex.min.css"],
        "extra_javascript": ["assets/katex/katex.min.js", "assets/katex/contrib/auto-render.min.js",
                             "assets/katex-init.js"],
        "plugins": [
            "search",
            {"mkdocs-jupyter": {"execute": False, "include_source": False, "ignore_h1_titles": False,
                                "custom_mathjax_url": "../assets/no-mathjax.js", "include": ["course/*.ipynb"],
                                "remove_tag_config": {"remove_input_tags": ["hide-input"]},
                                "cache_dir": str(src.parent / "cache")}},
            {"mkdocstrings": {"handlers": {"python": {"options": {
                "docstring_style": None, "show_source": False, "show_root_heading": True,
                "members_order": "source", "allow_inspection": True, "force_inspection": True,
                "show_signature_annotations": False, "separate_signature": True, "heading_level": 2}}}}},
        ],
    }


def build(out: Path) -> float:
    """Build the site into ``out``; returns the seconds it took. A warning fails it (``--strict``)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "docs"
        nav = assemble(src)
        cfg = Path(tmp) / "mkdocs.yml"
        cfg.write_text(json.dumps(config(src, nav)))
        done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(cfg),
                               "-d", str(out.resolve())], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        warnings = [line for line in lines if "WARNING" in line or "ERROR" in line] or lines[-3:]
        raise ValueError("the docs build failed: " + " | ".join(warnings[:5]))
    return time.perf_counter() - start


def serve(out: Path, port: int):
    """Serve ``out`` on 127.0.0.1:port until interrupted."""
    import contextlib
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        print(f"serving {out} on http://127.0.0.1:{port}/ (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            httpd.serve_forever()


def add_arguments(p):
    options.add(p, "--out", options.output_dir(), "site", "where the site is written (git-ignored)")
    options.flag(p, "--serve", "after building, serve the site on 127.0.0.1")
    options.add(p, "--port", options.integer(1024, 65535), 8000, "port of --serve")


def main(args) -> int:
    seconds = build(args.out)
    print(f"built {args.out}/ in {seconds:.1f} s")
    if args.serve:
        serve(args.out, args.port)
    return 0
