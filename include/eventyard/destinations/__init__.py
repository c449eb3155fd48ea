"""Destination delivery: one ``Integration`` class per vendor behind one interface.

See ``base.py`` for the interface and ``vendors/`` for the vendors (one module each).
"""
