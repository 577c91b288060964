"""``cifar-tutorial list``: the notebooks and their parameters, as papermill inspects them."""

from __future__ import annotations

import json

from .collection import Notebook, find_notebooks, select_notebooks


def notebook_title(notebook: Notebook) -> str:
    """The first markdown heading of a notebook, without the ``#``."""
    cells = json.loads(notebook.path.read_text()).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", [])).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def describe_notebook(notebook: Notebook) -> list[str]:
    """Lines for one notebook: its name and title, then one line per parameter."""
    title = notebook_title(notebook)
    lines = [f"{notebook.name}" + (f"  {title}" if title else "")]
    width = max((len(name) for name in notebook.parameters), default=0)
    for name, parameter in notebook.parameters.items():
        kind = parameter["inferred_type_name"]
        kind = "" if kind in ("None", "NoneType") else f" ({kind})"
        line = f"    {name:<{width}} = {parameter['default']}{kind}"
        if parameter["help"]:
            line += f"  # {parameter['help']}"
        lines.append(line)
    if not notebook.parameters:
        lines.append("    (no parameters)")
    return lines


def list_command(notebook_dir: str | None = None, selection: str | None = None) -> int:
    """Print every (selected) notebook with its parameters, defaults and help."""
    for notebook in select_notebooks(find_notebooks(notebook_dir), selection):
        print("\n".join(describe_notebook(notebook)))
    print(
        "\nGive a value with  cifar-tutorial run -p NAME VALUE  (it reaches every notebook "
        "that declares NAME)."
    )
    return 0
