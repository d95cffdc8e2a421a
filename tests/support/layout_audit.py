"""The layout audit: walks the real widget tree of what the window shows and names every defect a
person would meet on the panel.

- a touch target (a button or toggle) leaves the window, overlaps another, or is under 15 mm at
  the panel's pixel density;
- a label's text does not fit its box (it would be clipped or spill), or is drawn over a touch
  target or another text it does not belong to, or leaves the window, or a word of it is wider
  than its lines (Kivy then breaks the word between letters: "Certificatio / n");
- text contrast against what is really drawn behind it (read from a frame of the window) is
  under 4.5:1, or 3:1 for large text (18 pt, or 14 pt bold).

Each problem names the screen, the state, the size and the widget, so a failing audit reads like
a defect report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.stencilview import StencilView
from kivy.uix.widget import Widget
from PIL import Image

MIN_TOUCH_MM = 15.0
NORMAL_CONTRAST = 4.5
LARGE_CONTRAST = 3.0
SLACK_PX = 1.5  # rounding of layouts and glyph boxes

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in window pixels (origin bottom-left)


@dataclass(frozen=True)
class Problem:
    screen: str
    state: str
    size: tuple[int, int]
    widget: str
    what: str

    def __str__(self) -> str:
        width, height = self.size
        return f"{self.screen} [{self.state}] at {width}×{height}: {self.widget}: {self.what}"


def window_box(widget: Widget) -> Box:
    """The part of the widget that shows: its box, cut to the scroll views that hold it."""
    return clip(own_box(widget), widget)


def own_box(widget: Widget) -> Box:
    x0, y0 = widget.to_window(widget.x, widget.y)
    x1, y1 = widget.to_window(widget.right, widget.top)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def clip(box: Box, widget: Widget) -> Box:
    """`box` cut to every StencilView (a ScrollView) above `widget`: Kivy draws nothing of the
    widget outside them, and a scroll view passes on no touch from outside its box."""
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        if isinstance(parent, StencilView):
            box = intersection(box, own_box(parent))
        parent = parent.parent
    return box


def intersection(a: Box, b: Box) -> Box:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    return x0, y0, max(x0, min(a[2], b[2])), max(y0, min(a[3], b[3]))


def text_box(label: Label) -> Box:
    """Where the label's text is drawn: its texture, centred in the label as Kivy draws it (and
    cut to the scroll views that hold it)."""
    x0, y0, x1, y1 = own_box(label)
    width, height = label.texture_size
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return clip((cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2), label)


def overlap(a: Box, b: Box) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > SLACK_PX and height > SLACK_PX else 0.0


def visible(root: Widget) -> Iterator[Widget]:
    """Every widget drawn on screen: not transparent, not of zero size, not scrolled out of
    sight."""
    if root.opacity <= 0.01 or root.width < 1 or root.height < 1:
        return
    if isinstance(root, Widget):
        x0, y0, x1, y1 = window_box(root)
        if x1 - x0 < 1 or y1 - y0 < 1:
            return
    yield root
    for child in reversed(root.children):  # drawing order
        yield from visible(child)


def related(a: Widget, b: Widget) -> bool:
    """Whether one widget is the other or holds it (a button's own label, a card's caption)."""
    return a is b or is_ancestor(a, b) or is_ancestor(b, a)


def is_ancestor(ancestor: Widget, widget: Widget) -> bool:
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def describe(widget: Widget) -> str:
    """The widget as a developer finds it: its kv id when it has one, its class and its text."""
    name = type(widget).__name__
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        ids = getattr(parent, "ids", {})
        found = next((key for key, value in ids.items() if value is widget), None)
        if found:
            name = f"{name} #{found}"
            break
        parent = parent.parent
    text = getattr(widget, "text", "")
    if isinstance(text, str) and text.strip():
        short = " ".join(text.split())
        name += f' "{short[:40]}{"…" if len(short) > 40 else ""}"'
    return name


def needed_size(label: Label) -> tuple[float, float]:
    """The size the label's whole text needs at its wrapping width (unshortened, every line)."""
    options = dict(label._label.options)
    wrap = label.text_size[0]
    options.update(text_size=(wrap, None), shorten=False, max_lines=0)
    core = type(label._label)(**options)
    core.refresh()
    width, height = core.texture.size if core.texture else (0, 0)
    return width, height


WORD_EDGES = ".,:;!?()[]“”\"'…–-"


def broken_words(label: Label) -> list[str]:
    """The words of the label's text that are wider than its wrapping width: Kivy cuts such a
    word between two letters. Only words of letters count: a path or a number has nowhere to be
    cut that would read better."""
    wrap = label.text_size[0]
    if not wrap:
        return []
    words = sorted({word.strip(WORD_EDGES) for word in label.text.split()})
    broken = []
    for word in (w for w in words if w.isalpha()):
        options = dict(label._label.options)
        options.update(text=word, text_size=(None, None), shorten=False, max_lines=0)
        core = type(label._label)(**options)
        core.refresh()
        if core.texture and core.texture.width > wrap + SLACK_PX:
            broken.append(word)
    return broken


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def background_behind(label: Label, frame: Image.Image) -> tuple[float, float, float]:
    """The colour most of the label's box shows in the frame: what its text is drawn on."""
    x0, y0, x1, y1 = window_box(label)
    scale_x = frame.width / Window.width
    scale_y = frame.height / Window.height
    box = (
        max(0, int(x0 * scale_x)),
        max(0, int(frame.height - y1 * scale_y)),
        min(frame.width, int(x1 * scale_x)),
        min(frame.height, int(frame.height - y0 * scale_y)),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        return (1.0, 1.0, 1.0)
    crop = frame.crop(box).convert("RGB")
    crop.thumbnail((120, 120), Image.Resampling.NEAREST)
    (colour, _count), *_ = Counter(crop.get_flattened_data()).most_common(1)
    return tuple(c / 255 for c in colour)


def text_colour(label: Label, behind: tuple[float, float, float]) -> tuple[float, float, float]:
    """The colour the text shows in: its colour over what is behind, faded by its own alpha and
    by the opacity of the label and every widget that holds it (Kivy multiplies them)."""
    r, g, b, a = label.disabled_color if label.disabled else label.color
    widget = label
    while widget is not None and isinstance(widget, Widget):
        a *= widget.opacity
        widget = widget.parent if widget.parent is not widget else None
    return tuple(a * c + (1 - a) * bg for c, bg in zip((r, g, b), behind, strict=True))


def is_large(label: Label, px_per_mm: float) -> bool:
    points = label.font_size / px_per_mm / (25.4 / 72)
    return points >= 18 or (label.bold and points >= 14)


def audit(
    root: Widget,
    *,
    screen: str,
    state: str,
    px_per_mm: float,
    frame: Image.Image | None,
    exempt: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every problem of what `root` draws now. `frame` (a screenshot of the window) lets the
    contrast be measured; `exempt` names widgets (by description prefix) left out on purpose."""
    size = (int(Window.width), int(Window.height))
    problems: list[Problem] = []

    def report(widget: Widget, what: str) -> None:
        problems.append(Problem(screen, state, size, describe(widget), what))

    widgets = [w for w in visible(root) if not describe(w).startswith(tuple(exempt))]
    window: Box = (0, 0, size[0], size[1])
    targets = [w for w in widgets if isinstance(w, ButtonBehavior)]
    labels = [w for w in widgets if isinstance(w, Label) and w.text.strip()]
    minimum = MIN_TOUCH_MM * px_per_mm

    for target in targets:
        box = window_box(target)
        if not inside(box, window):
            report(target, f"leaves the window ({fmt(box)})")
        width, height = box[2] - box[0], box[3] - box[1]
        if min(width, height) + SLACK_PX < minimum:
            mm_w, mm_h = width / px_per_mm, height / px_per_mm
            report(target, f"touch target {mm_w:.1f}×{mm_h:.1f} mm, under {MIN_TOUCH_MM:.0f} mm")
    for i, first in enumerate(targets):
        for second in targets[i + 1 :]:
            if not related(first, second) and overlap(window_box(first), window_box(second)):
                report(first, f"overlaps {describe(second)}")

    for label in labels:
        label.texture_update()
        needed_w, needed_h = needed_size(label)
        if needed_w > label.width + SLACK_PX or needed_h > label.height + SLACK_PX:
            report(
                label,
                f"text needs {needed_w:.0f}×{needed_h:.0f} px, has {label.width:.0f}×"
                f"{label.height:.0f}",
            )
        for word in broken_words(label):
            report(label, f'the word "{word}" is wider than the text\'s lines: cut in two')
        drawn = text_box(label)
        if not inside(drawn, window):
            report(label, f"text leaves the window ({fmt(drawn)})")
        for target in targets:
            if not related(label, target) and overlap(drawn, window_box(target)):
                report(label, f"text drawn over {describe(target)}")
        if frame is not None:
            behind = background_behind(label, frame)
            ratio = contrast(text_colour(label, behind), behind)
            wanted = LARGE_CONTRAST if is_large(label, px_per_mm) else NORMAL_CONTRAST
            if ratio + 0.05 < wanted:
                report(label, f"contrast {ratio:.1f}:1, under {wanted}:1")
    for i, first in enumerate(labels):
        for second in labels[i + 1 :]:
            if not related(first, second) and overlap(text_box(first), text_box(second)):
                report(first, f"text overlaps the text of {describe(second)}")
    return problems


def inside(box: Box, window: Box) -> bool:
    return (
        box[0] >= window[0] - SLACK_PX
        and box[1] >= window[1] - SLACK_PX
        and box[2] <= window[2] + SLACK_PX
        and box[3] <= window[3] + SLACK_PX
    )


def fmt(box: Box) -> str:
    return f"x {box[0]:.0f}..{box[2]:.0f}, y {box[1]:.0f}..{box[3]:.0f}"
