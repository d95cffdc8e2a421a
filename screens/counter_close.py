"""The officer's half of the dual rating: the outcome of the session, "result the same day",
and the officer's own rating of each criterion. Required before the next call; until all is
chosen the screen says what is still missing. With [counter] dossier_code on, the officer
also gives the dossier code (mã hồ sơ) of this visit: typed on a keyboard plugged into the
counter, on the on-screen keyboard, or scanned from the dossier's receipt (`scanned`)."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import BooleanProperty, DictProperty, StringProperty
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label

from kiosk.dossier_codes import OFF, DossierCodeRefused, normalise, refuse_personal_data
from screens.base import BaseScreen
from screens.onscreen_keyboard import KeyboardScreen
from screens.widgets import CheckToggle


class CounterCloseScreen(BaseScreen):
    outcome_id = StringProperty("")
    ratings = DictProperty({})
    complete = BooleanProperty(False)
    message = StringProperty("")
    missing = StringProperty("")  # what is still to be chosen, for the officer
    dossier_shown = BooleanProperty(True)  # [counter] dossier_code is not "off"
    dossier_code = StringProperty("")  # as typed or scanned: checked by _check
    dossier_refusal = StringProperty("")  # why the last scan was not taken, for the officer

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._typing = False  # back from the on-screen keyboard: the form is kept

    def on_pre_enter(self, *args) -> None:
        if self._typing:
            self._typing = False
            return
        app = App.get_running_app()
        self.dossier_shown = app.settings.counter.dossier_code.mode != OFF
        self.dossier_code = self.dossier_refusal = ""
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

    def on_dossier_refusal(self, *_args) -> None:
        self._check()

    def on_dossier_code(self, _screen, text: str) -> None:
        if self.ids.dossier.text != text:
            self.ids.dossier.text = text
        self._check()

    def type_dossier_code(self) -> None:
        """The on-screen keyboard, for a counter without a physical one."""
        app = App.get_running_app()
        keyboard: KeyboardScreen = self.manager.get_screen("keyboard")

        def typed(text: str | None) -> None:
            if text is not None:
                self.dossier_refusal = ""
                self.dossier_code = normalise(text)
            self._typing = True  # back to the form as it was
            self.manager.current = self.name

        keyboard.start(app.t("Dossier code"), self.dossier_code, typed)
        self.manager.current = "keyboard"

    def scanned(self, text: str) -> None:
        """The dossier receipt's barcode or QR. An ID card or a ticket is refused (and not
        kept in the field: no personal data stays on the screen)."""
        if not self.dossier_shown:
            return
        try:
            refuse_personal_data(text)
        except DossierCodeRefused as refused:
            self.dossier_code = ""
            self.dossier_refusal = App.get_running_app().t(refused.message)
            return
        self.dossier_refusal = ""
        self.dossier_code = normalise(text)

    def _dossier_problem(self) -> str:
        """Why the dossier code cannot be taken yet, for the officer; "" when it can."""
        app = App.get_running_app()
        try:
            app.settings.counter.dossier_code.check(self.dossier_code)
        except DossierCodeRefused as refused:
            return app.t(refused.message).format(**refused.values)
        return ""

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
        problem = self.dossier_refusal or self._dossier_problem()
        if problem:
            missing.append(problem)
        self.missing = "  ·  ".join(missing)
        self.complete = not missing

    def confirm(self) -> None:
        if self.complete:
            App.get_running_app().close_session(
                self.outcome_id,
                self.ids.same_day.state == "down",
                dict(self.ratings),
                self.dossier_code,
            )


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
