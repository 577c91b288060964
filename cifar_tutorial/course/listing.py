"""``cifar-tutorial list``: the notebooks and their parameters, as papermill inspects them."""

from __future__ import annotations

from .collection import Notebook, find_notebooks, select_notebooks
from .notebooks import heading, read_notebook


def describe_notebook(notebook: Notebook) -> list[str]:
    """Lines for one notebook: its name and title, then one line per parameter."""
    title = heading(read_notebook(notebook.path))
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
