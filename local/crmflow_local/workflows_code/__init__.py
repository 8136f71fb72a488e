"""Workflows as code: ``crmflow workflows export``, ``plan`` and ``apply`` (docs/workflows-as-code.md).

- :mod:`.client`: the API over HTTP
- :mod:`.yamltext`: YAML text with line numbers
- :mod:`.references`: ids a definition refers to, and their names
- :mod:`.fileformat`: the workflow file
- :mod:`.consequences`: what an edit does to the records in a workflow
- :mod:`.export`, :mod:`.plan`, :mod:`.apply`: the commands; :mod:`.commands`: their command line
"""
