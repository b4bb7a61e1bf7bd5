"""Colouring nodes by their gradient: a diverging scale by sign and size, and its legend.

Gradients in one graph often span several orders of magnitude, so the scale
is logarithmic: four bins per sign, one decade each, counted down from the
decade that holds the largest gradient; anything smaller falls in the
palest bin. Positive gradients are red, negative blue (ColorBrewer's RdBu,
which stays readable for the common forms of colour blindness). An exact
zero is its own class, grey with a dashed outline, because it means no
gradient flows at all (a dead ReLU, a saturated unit, a branch not taken);
an optional threshold marks the *vanishing* gradients that are not zero.

Red and blue mean the sign of a gradient (or tangent) and nothing else,
in the graphs and in ``viz.plots``. The two classes of a classifier and the
score it gives are drawn in another pair, orange and teal (ColorBrewer's
PuOr and BrBG ends), so a decision boundary is never read as a gradient.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

# RdBu, from the palest tint to the darkest shade, one per decade
POSITIVE = ("#fddbc7", "#f4a582", "#d6604d", "#b2182b")
NEGATIVE = ("#d1e5f0", "#92c5de", "#4393c3", "#2166ac")
ZERO = "#e6e6e6"
NONFINITE = "#ffe45c"  # nan or inf: an anomaly, not a point on the scale
VANISHING = "#ff7f00"  # outline of a gradient below the vanishing threshold
PLAIN = "#ffffff"  # no gradient information (no backward pass yet)
DARK_TEXT, LIGHT_TEXT = "#000000", "#ffffff"

# a binary classifier: the negative class (-1 or 0) orange, the positive class (+1) teal,
# and its score from orange (below the threshold) through white to teal (above)
CLASS_NEGATIVE, CLASS_POSITIVE = "#e66101", "#018571"
SCORE_SCALE = ("#e66101", "#fdb863", "#f7f7f7", "#80cdc1", "#018571")


@dataclass(frozen=True)
class Style:
    """How to paint one node: fill colour, text colour, outline colour, width and dash."""

    fill: str = PLAIN
    font: str = DARK_TEXT
    outline: str = "#000000"
    penwidth: float = 1.0
    dashed: bool = False


@dataclass(frozen=True)
class GradientScale:
    """The diverging scale for one drawing: ``top`` is the exponent of its highest decade.

    Bin 3 (darkest) holds |g| in (10**(top-1), 10**top], bin 2 the decade
    below, and so on; bin 0 holds everything from 10**(top-3) down to the
    smallest nonzero value.
    """

    top: int
    vanishing: float | None = None

    @classmethod
    def for_values(cls, values: Iterable[float], vanishing: float | None = None) -> GradientScale:
        """The scale whose top decade holds the largest finite |value| (top 0 if all are 0)."""
        largest = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
        top = math.ceil(math.log10(largest)) if largest > 0 else 0
        return cls(top, vanishing)

    def level(self, value: float) -> int:
        """The bin (0 palest .. 3 darkest) of a nonzero finite value."""
        exponent = math.ceil(math.log10(abs(value)))
        return min(3, max(0, 3 - (self.top - exponent)))

    def style(self, value: float) -> Style:
        """The style of a node whose gradient is ``value``."""
        if not math.isfinite(value):
            return Style(fill=NONFINITE, penwidth=2.0)
        if value == 0:
            return Style(fill=ZERO, outline="#808080", dashed=True)
        level = self.level(value)
        fill = (POSITIVE if value > 0 else NEGATIVE)[level]
        font = LIGHT_TEXT if level >= 2 else DARK_TEXT
        if self.vanishing is not None and abs(value) < self.vanishing:
            return Style(fill=fill, font=font, outline=VANISHING, penwidth=3.0)
        return Style(fill=fill, font=font)

    def bin_labels(self) -> list[str]:
        """The magnitude range of each bin, darkest first: '0.1 to 1', ..., 'below 0.001'."""
        bounds = [_decade(self.top - k) for k in range(4)]
        labels = [f"{bounds[k + 1]} to {bounds[k]}" for k in range(3)]
        return [*labels, f"below {bounds[3]}"]

    def legend_rows(
        self,
        title: str = "gradient",
        has_zero: bool = False,
        has_nonfinite: bool = False,
        has_vanishing: bool = False,
        collapsed: bool = False,
    ) -> list[str]:
        """Rows of an HTML-like Graphviz table: a swatch and its meaning, one row per class."""
        short = "grad" if title == "gradient" else title
        rows = [f'<tr><td colspan="3" align="left"><b>{title}: red +, blue &#8722;</b></td></tr>']
        for k, label in enumerate(self.bin_labels()):
            level = 3 - k
            rows.append(
                f'<tr><td bgcolor="{POSITIVE[level]}" width="14"> </td>'
                f'<td bgcolor="{NEGATIVE[level]}" width="14"> </td>'
                f'<td align="left">|{short}| {label}</td></tr>'
            )
        if has_zero:
            what = "exactly 0 (dashed): nothing flows"
            if collapsed:
                what += "; a collapsed module: none reaches its parameters"
            rows.append(f'<tr><td colspan="2" bgcolor="{ZERO}"> </td>'
                        f'<td align="left">{what}</td></tr>')
        if has_vanishing:
            rows.append(f'<tr><td colspan="2" bgcolor="{VANISHING}"> </td>'
                        f'<td align="left">orange outline: 0 &lt; |{short}| &lt; '
                        f'{self.vanishing:g} (vanishing)</td></tr>')
        if has_nonfinite:
            rows.append(f'<tr><td colspan="2" bgcolor="{NONFINITE}"> </td>'
                        '<td align="left">nan or inf</td></tr>')
        return rows


def _decade(exponent: int) -> str:
    """10**exponent written briefly: 1, 10, 0.01, 1e-05, 1e+06."""
    return f"{10.0 ** exponent:g}"
