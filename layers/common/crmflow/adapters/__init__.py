"""Adapters of the Lambda handlers: Powertools logging, event parsing, batch processing.

One module per handler kind, so a Lambda imports only what its kind needs (an action Lambda never
loads the batch processor nor the stream's parsing): :mod:`~crmflow.adapters.actions`,
:mod:`~crmflow.adapters.records_stream`, :mod:`~crmflow.adapters.starter`. These are the only
modules of the layer that know Lambda event shapes; ``functions/*/app.py`` are one-line uses of
them, and the domain modules never see an event. The top layer: nothing in ``crmflow`` imports it.
"""
