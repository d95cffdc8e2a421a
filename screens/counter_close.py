"""The officer's half of the dual rating: the outcome of the session, "result the same day",
and the officer's own rating of each criterion. Required before the next call."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import BooleanProperty, DictProperty, StringProperty
from kivy.uix.label import Label

from screens.base import BaseScreen
from screens.widgets import BigToggle


class CounterCloseScreen(BaseScreen):
    outcome_id = StringProperty("")
    ratings = DictProperty({})
    complete = BooleanProperty(False)
    message = StringProperty("")

    def on_pre_enter(self, *args) -> None:
        app = App.get_running_app()
        rating = app.settings.rating
        self.outcome_id = ""
        self.ratings = {}
        self.message = ""
        self.ids.same_day.state = "normal"
        outcomes = self.ids.outcomes
        outcomes.clear_widgets()
        for outcome in rating.outcomes:
            if outcome.no_show:
                continue  # "No-show" on the desk closes with it
            toggle = BigToggle(
                text=outcome.text(app.language), group="outcome", font_size=mm(4.2), fill="#1F4E8C"
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
                font_size=mm(4.2),
                color=(0.08, 0.1, 0.14, 1),
                halign="left",
                valign="middle",
            )
            label.bind(width=lambda lbl, width: setattr(lbl, "text_size", (width, None)))
            criteria.add_widget(label)
            for level in range(1, scale.levels + 1):
                toggle = BigToggle(
                    text=scale.label(level, app.language),
                    group=f"criterion-{criterion.id}",
                    font_size=mm(4.2),
                    fill="#37474F",
                )
                toggle.criterion_id = criterion.id
                toggle.level = level
                toggle.bind(on_release=self._level_chosen)
                criteria.add_widget(toggle)
        self._check()

    def _outcome_chosen(self, toggle: BigToggle) -> None:
        self.outcome_id = toggle.outcome_id if toggle.state == "down" else ""
        self._check()

    def _level_chosen(self, toggle: BigToggle) -> None:
        ratings = dict(self.ratings)
        if toggle.state == "down":
            ratings[toggle.criterion_id] = toggle.level
        else:
            ratings.pop(toggle.criterion_id, None)
        self.ratings = ratings
        self._check()

    def _check(self) -> None:
        criteria = App.get_running_app().settings.rating.officer_criteria
        self.complete = bool(self.outcome_id) and len(self.ratings) == len(criteria)

    def confirm(self) -> None:
        if self.complete:
            App.get_running_app().close_session(
                self.outcome_id, self.ids.same_day.state == "down", dict(self.ratings)
            )


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
