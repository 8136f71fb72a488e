"""crmflow's embedded runtime: the deployed stack, in one process, on moto, with a virtual clock.

It reads ``template.yaml`` for the functions, tables, queues, bus, state machines and event
source mappings, creates them in moto, and delivers work to the same handlers Lambda would run.
"""
