"""The trigger index (issue 11): a record change evaluates only the workflows that can react to it.

See :mod:`crmflow.triggers.index` for what is indexed and why the cached index cannot go stale.
"""

from crmflow.triggers.index import Selection, TriggerIndex, changed_properties, current, enabled, forget

__all__ = ["Selection", "TriggerIndex", "changed_properties", "current", "enabled", "forget"]
