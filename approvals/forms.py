from django import forms

from approvals.actions import ask_choices


class ApproveForm(forms.Form):
    comment = forms.CharField(required=False, max_length=2000)


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=2000, error_messages={"required": "A rejection needs a reason."})

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A rejection needs a reason.")
        return reason


class RequestForm(forms.Form):
    """A person asking for a production action; what they may set depends on the action."""

    action = forms.ChoiceField(choices=ask_choices)
    target = forms.CharField(max_length=300)
    replicas = forms.IntegerField(required=False, min_value=0, max_value=1000)
    target_sha = forms.RegexField(
        required=False,
        regex=r"^[0-9a-fA-F]{7,40}$",
        error_messages={"invalid": "A commit is 7 to 40 hexadecimal characters."},
    )
    note = forms.CharField(required=False, max_length=2000)

    def params(self) -> dict:
        return {
            k: self.cleaned_data[k]
            for k in ("replicas", "target_sha")
            if self.cleaned_data.get(k) not in (None, "")
        }
