"""crmflow's domain package, deployed as the `common` Lambda layer.

Nothing in here knows about Lambda events: handlers in ``functions/`` parse events and call these
modules. The one exception is ``crmflow.api``, the HTTP adapter that the API function mounts.
"""
