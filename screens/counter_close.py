"""The officer's half of the dual rating: the outcome of the session, "result the same day",
and the officer's own rating of each criterion. Required before the next call; until all is
chosen the screen says what is still missing."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import BooleanProperty, DictProperty, StringProperty
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label

from screens.base import BaseScreen
from screens.widgets import CheckToggle


class CounterCloseScreen(BaseScreen):
    outcome_id = StringProperty("")
    ratings = DictProperty({})
    complete = BooleanProperty(False)
    message = StringProperty("")
    missing = StringProperty("")  # what is still to be chosen, for the officer

    def on_pre_enter(self, *args) -> None:
        app = App.get_running_app()
        rating = app.settings.rating
        self.outcome_id = ""
        self.ratings = {}
        self.message = ""
        self.ids.same_day.state = "normal"
        outcomes = self.ids.outcomes
        outcomes.clear_widgets()
        font = self.toggle_font()
        for outcome in rating.outcomes:
            if outcome.no_show:
                continue  # "No-show" on the desk closes with it
            toggle = CheckToggle(
                text=outcome.text(app.language), group="outcome", font_size=font, fill="#1F4E8C"
            )
            toggle.outcome_id = outcome.id
            toggle.bind(on_release=self._outcome_chosen)
            outcomes.add_widget(toggle)
        criteria = self.ids.criteria
        criteria.clear_widgets()
        scale = rating.officer_scale
        for criterion in rating.officer_criteria:
            label = Label(
                text=criterion.text(app.language),
                font_size=font,
                color=(0.08, 0.1, 0.14, 1),
                halign="left",
                valign="bottom",
                size_hint_y=None,
            )
            label.bind(width=lambda lbl, width: setattr(lbl, "text_size", (width, None)))
            label.bind(texture_size=lambda lbl, size: setattr(lbl, "height", size[1] + mm(1)))
            criteria.add_widget(label)
            row = self.levels_row(scale.levels)
            for level in range(1, scale.levels + 1):
                toggle = CheckToggle(
                    text=scale.label(level, app.language),
                    group=f"criterion-{criterion.id}",
                    font_size=font,
                    fill="#37474F",
                )
                toggle.criterion_id = criterion.id
                toggle.level = level
                toggle.bind(on_release=self._level_chosen)
                row.add_widget(toggle)
            criteria.add_widget(row)
        self._check()

    def toggle_font(self) -> float:
        return min(mm(4.5), max(mm(3.2), self.height * 0.04))

    @staticmethod
    def levels_row(levels: int) -> GridLayout:
        return GridLayout(cols=levels, spacing=mm(1.5), size_hint_y=None, height=mm(15))

    def level_toggles(self) -> list[CheckToggle]:
        """The officer's level toggles of every criterion, in order."""
        rows = [w for w in reversed(self.ids.criteria.children) if not isinstance(w, Label)]
        return [toggle for row in rows for toggle in reversed(row.children)]

    def _outcome_chosen(self, toggle: CheckToggle) -> None:
        self.outcome_id = toggle.outcome_id if toggle.state == "down" else ""
        self._check()

    def _level_chosen(self, toggle: CheckToggle) -> None:
        ratings = dict(self.ratings)
        if toggle.state == "down":
            ratings[toggle.criterion_id] = toggle.level
        else:
            ratings.pop(toggle.criterion_id, None)
        self.ratings = ratings
        self._check()

    def _check(self) -> None:
        app = App.get_running_app()
        criteria = app.settings.rating.officer_criteria
        unrated = [c.text(app.language) for c in criteria if c.id not in self.ratings]
        missing = []
        if not self.outcome_id:
            missing.append(app.t("Choose the outcome of the session"))
        if unrated:
            missing.append(
                app.t("Choose a level for: {criteria}").format(criteria=", ".join(unrated))
            )
        self.missing = "  ·  ".join(missing)
        self.complete = not missing

    def confirm(self) -> None:
        if self.complete:
            App.get_running_app().close_session(
                self.outcome_id, self.ids.same_day.state == "down", dict(self.ratings)
            )


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
