"""One module per vendor; each defines an ``Integration`` subclass (see ``../base.py``).

The registry discovers them; nothing else needs editing when a vendor is added.
"""
