from django import template

from approvals.selectors import proposals_panel

register = template.Library()


@register.simple_tag
def run_proposals_panel(run, user):
    """The run's proposals for the partial included in the run page."""
    return proposals_panel(run=run, user=user)
