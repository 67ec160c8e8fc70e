"""The form a responder fills to resolve a run with its cause.

Each hypothesis of the packet, and "unknown", is a submit button named `cause` whose value is
the cause's key, so confirming the packet's guess is one click. Another cause is picked from the
run's evidence in `other` (button value `other`); an external one is named in `external_name`.
"""

from django import forms

from incidentdesk.causes import Cause, cause_from_key
from incidentdesk.resolution_panel import CauseOptions
from incidentdesk.services.resolution import MAX_IMPACT_MINUTES, MAX_NOTE, Impact

OTHER = "other"
EXTERNAL = "external:"


class CauseConfirmForm(forms.Form):
    cause = forms.CharField(max_length=400, error_messages={"required": "Pick the cause."})
    other = forms.CharField(required=False, max_length=400)
    external_name = forms.CharField(required=False, max_length=200)
    customer_impact = forms.ChoiceField(
        choices=[("yes", "Yes"), ("no", "No")],
        error_messages={"required": "Say whether customers were affected."},
    )
    impact_minutes = forms.IntegerField(required=False, min_value=0, max_value=MAX_IMPACT_MINUTES)
    note = forms.CharField(required=False, max_length=MAX_NOTE)

    def __init__(self, *args, options: CauseOptions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.options = options

    def clean(self) -> dict:
        data = super().clean()
        key = data.get("cause") or ""
        if key == OTHER:
            key = data.get("other") or ""
            if not key:
                self.add_error("other", "Pick a cause from the list.")
                return data
        if key == EXTERNAL:
            name = (data.get("external_name") or "").strip()
            if not name:
                self.add_error("external_name", "Name the third party.")
                return data
            data["chosen"] = Cause("external", name, f"{name} (outside the catalog)")
        elif key:
            chosen = cause_from_key(key, self.options.all)
            if chosen is None:
                self.add_error("cause", "That cause is not among this run's hypotheses or evidence.")
            data["chosen"] = chosen
        return data

    @property
    def chosen(self) -> Cause:
        return self.cleaned_data["chosen"]

    @property
    def impact(self) -> Impact:
        affected = self.cleaned_data["customer_impact"] == "yes"
        return Impact(customers_affected=affected, minutes=self.cleaned_data.get("impact_minutes") if affected else None)
