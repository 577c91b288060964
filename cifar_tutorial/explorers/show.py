"""How an explorer appears: the live widget where a widget frontend listens, a figure elsewhere.

The kernel cannot know whether a frontend that draws widgets (JupyterLab, VS Code) is listening, or
whether the notebook is run by papermill, nbval or nbconvert and read later on the website. So an
explorer is shown as ONE output that carries both: the widget's view, and a PNG of one
representative state with its alt text. A widget frontend draws the widget; everything else draws
the PNG (the website and ``scripts/execute_notebooks.py`` drop the widget view where a PNG is
there, so that nothing shows "Error displaying widget").
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..alt_text import alt_of, mime_bundle

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CSS_PREFIX = "cifar-explorer"  # every explorer's widgets carry CSS classes starting so


class Explorer:
    """An explorer's widget and its static figure; Jupyter shows it as one output of both."""

    def __init__(self, widget: widgets.Widget, figure: Figure) -> None:
        self.widget = widget
        self.figure = figure

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict, dict]:
        data, metadata = figure_bundle(self.figure)  # the PNG, its alt text as text/plain too
        data, metadata = dict(data), dict(metadata)
        view = self.widget._repr_mimebundle_().get(WIDGET_VIEW)
        if view is not None:
            data[WIDGET_VIEW] = view
        return data, metadata

    def __repr__(self) -> str:
        return f"Explorer({alt_of(self.figure)})"


def show_explorer(widget: widgets.Widget, static_figure: Figure) -> Explorer:
    """What a notebook cell shows for ``widget``: the widget itself where widgets are drawn,
    ``static_figure`` (described with alt text) everywhere else. End a cell with it.
    ``widget`` gets the CSS class ``cifar-explorer``."""
    widget.add_class(CSS_PREFIX)
    return Explorer(widget, static_figure)


def show_figure(output: widgets.Output, figure: Figure) -> None:
    """Replace what ``output`` shows by ``figure`` (a PNG with its alt text)."""
    data, metadata = figure_bundle(figure)
    output.outputs = ({"output_type": "display_data", "data": data, "metadata": metadata},)


def figure_bundle(figure: Figure) -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`~cifar_tutorial.alt_text.mime_bundle` of ``figure``, rendered once: the static
    figure goes both into the explorer's output and into its Output widget."""
    bundle = getattr(figure, "_explorer_bundle", None)
    if bundle is None:
        bundle = figure._explorer_bundle = mime_bundle(figure)  # noqa: SLF001
    return bundle


def hook(widget: widgets.Widget, *names: str) -> widgets.Widget:
    """Give ``widget`` the CSS classes ``cifar-explorer-<name>``, for browser tests and styles."""
    for name in names:
        widget.add_class(f"{CSS_PREFIX}-{name}")
    return widget


def number_picker(
    description: str, count: int, name: str
) -> tuple[widgets.HBox, widgets.BoundedIntText]:
    """A slider and a number box for 0 to ``count - 1``, kept equal: slide to browse, type to
    jump. Returns both in a row, and the number box to observe. CSS classes:
    ``cifar-explorer-<name>`` on the number box (an ``<input>``), ``...-<name>-slider``."""
    slider = widgets.IntSlider(value=0, min=0, max=count - 1, description=description,
                               continuous_update=False, readout=False)  # fmt: skip
    number = widgets.BoundedIntText(value=0, min=0, max=count - 1,
                                    layout=widgets.Layout(width="7em"))  # fmt: skip
    widgets.link((slider, "max"), (number, "max"))
    widgets.link((slider, "value"), (number, "value"))
    return widgets.HBox([hook(slider, f"{name}-slider"), hook(number, name)]), number
