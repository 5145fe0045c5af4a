"""The pure domain: case states, evidence rules, timers policy, compliance and settlement.

Nothing here performs I/O or imports another room; every function takes and returns plain values.
"""
