"""Drawing computation graphs: DOT and SVG with Graphviz, a backward stepper, plots.

- ``draw_graph(root, ...)``: a ``graphviz.Digraph`` of everything ``root``
  depends on, deterministic, grouped by module, collapsible, coloured by gradient.
- ``render(root, path)``: write it to a file, in the format its suffix names
  (svg, png at 192 dpi, pdf, dot; ``format=`` when the suffix names none).
- ``step_backward(root)``: the reverse sweep one chain-rule step at a time, as a
  self-contained HTML page (``.to_html(path)``) that also displays in Jupyter;
  ``step_forward(root, seeds)`` does the same for tangents flowing forward.
- ``training_view(history, (X, y), model)``: a run of ``nn.fit(..., snapshots=k)``
  as one HTML page with an epoch slider: decision boundary, loss and learning
  rate, and the network coloured by that epoch's gradients.
- ``viz.plots``: loss curves, decision boundaries, activations, loss surfaces
  (matplotlib, from the ``notebook`` extra).
- ``python -m viz "tanh(x*w + b)" x=0.5 w=-3 b=2 --backward -o graph.svg``.

Imported inside IPython or Jupyter, ``viz`` makes a ``Value`` display as the
drawing of its graph (``viz.display``).
"""

from autograd.value import register_package as _register_package

from .display import register as _register_display
from .dot import GraphvizNotFoundError
from .graph import draw_graph, render
from .stepper import Stepper, step_backward, step_forward
from .training_view import TrainingView, training_view

_register_package(__file__)  # messages about the user's code skip this package's frames

_register_display()  # in IPython, a Value displays as its graph (autograd knows nothing of viz)

__all__ = ["GraphvizNotFoundError", "Stepper", "TrainingView", "draw_graph", "render",
           "step_backward", "step_forward", "training_view"]
