"""The boundary with Graphviz: ``Drawing``, and one clear error when ``dot`` is missing.

A ``Drawing`` is a ``graphviz.Digraph`` (all of its API works: ``.source``,
``.pipe()``, ``.render()``) with two changes for when Graphviz's ``dot``
program is not installed. Producing the DOT source never needs it. Asking for
a rendered format (SVG, PNG, PDF) raises ``GraphvizNotFoundError`` at once,
saying how to install Graphviz, instead of the library's generic message
from deep inside a subprocess call. Displaying in Jupyter falls back to a
text view of the nodes, so a notebook still shows something useful. PNG is
rendered at twice the usual resolution (``PNG_DPI``), so text stays sharp on
high-density screens and in slides.
"""

from __future__ import annotations

import os
from typing import Any

import graphviz

INSTALL_HINT = (
    "Install Graphviz and make sure `dot -V` works in the shell that runs Python: "
    "`sudo apt-get install graphviz` (Debian, Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz`, or see https://graphviz.org/download/. "
    "The DOT source needs no Graphviz: use `.source`, or render(..., format='dot')."
)


PNG_DPI = 192  # twice Graphviz's 96: a sharp picture on a high-density screen


def for_format(graph: graphviz.Graph | graphviz.Digraph, format: str | None) -> Any:
    """``graph`` itself, or for PNG a copy rendered at ``PNG_DPI`` unless it sets a dpi itself."""
    if (format or graph.format) != "png" or "dpi" in graph.graph_attr:
        return graph
    if any(line.lstrip().startswith("graph [") and "dpi=" in line for line in graph.body):
        return graph
    scaled = graph.copy()
    scaled.attr("graph", dpi=str(PNG_DPI))
    return scaled


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Graphviz's ``dot`` program is needed (to make SVG, PNG or PDF) and is not on PATH."""

    def __init__(self, action: str) -> None:
        RuntimeError.__init__(
            self, f"{action}: Graphviz's `dot` program was not found on PATH. {INSTALL_HINT}"
        )


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that explains a missing ``dot`` and shows as text without it."""

    text_view: str = ""  # one line per drawn node, shown in Jupyter when dot is missing

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """``graphviz.Digraph.pipe`` (PNG at ``PNG_DPI``), raising ``GraphvizNotFoundError``
        when dot is missing."""
        target = for_format(self, args[0] if args else kwargs.get("format"))
        try:
            return graphviz.Digraph.pipe(target, *args, **kwargs)
        except GraphvizNotFoundError:
            raise
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFoundError("Drawing.pipe") from None

    def render(self, *args: Any, **kwargs: Any) -> Any:
        """``graphviz.Digraph.render`` (PNG at ``PNG_DPI``), raising ``GraphvizNotFoundError``
        when dot is missing."""
        format = args[4] if len(args) > 4 else kwargs.get("format")
        outfile = kwargs.get("outfile")
        if format is None and outfile is not None:
            format = os.path.splitext(os.fspath(outfile))[1].lstrip(".").lower() or None
        target = for_format(self, format)
        try:
            return graphviz.Digraph.render(target, *args, **kwargs)
        except GraphvizNotFoundError:
            raise
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFoundError("Drawing.render") from None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict:
        """Jupyter: the SVG, or without dot a text view of the nodes and how to get the picture."""
        try:
            return super()._repr_mimebundle_(include=include, exclude=exclude)
        except GraphvizNotFoundError:
            return {"text/plain": self.fallback_text()}

    def fallback_text(self) -> str:
        """What Jupyter shows without dot: a note, then the text view (or the DOT source)."""
        note = ("(Graphviz's `dot` is not installed, so this graph is shown as text. "
                f"{INSTALL_HINT})")
        return f"{self.text_view or self.source}\n{note}"
